"""What a warm Lambda container keeps between invocations: AWS clients and cached settings."""
from __future__ import annotations

import functools
import threading
import time
from typing import Any, Callable

from . import connect, templates
from .caching import ExpiringCache
from .connection_hints import ConnectionHints
from .history import Refusals
from .tables import Table
from .probes import Probes
from .config import Environment, Settings, SettingsCache
from .media import AttachmentRules

ATTACHMENT_RULES_CACHE_SECONDS = 900
# A template Meta approves or pauses reaches the agents' lists within this time.
TEMPLATES_CACHE_SECONDS = 600


# Amazon Connect's StartChatContact is not retried in the call: a refusal for capacity
# (LimitExceededException, which botocore's standard mode counts as throttling) would only be
# refused again within the second, spending the start rate; the conversation waits instead
# (waiting.py), and a freed chat retries it.
SINGLE_ATTEMPT_SERVICES = frozenset({"connect"})


@functools.cache
def _client_config(attempts: int) -> Any:
    # Standard retries cover throttling and 5xx; short timeouts keep one slow call from eating the
    # batching window. The pool is sized for the flush's concurrent conversations.
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        connect_timeout=3,
        read_timeout=15,
        max_pool_connections=32,
    )


class Clients:
    """boto3 clients, each created on first use and then shared by every thread; endpoints and
    region come from the environment. Creating only what an invocation needs keeps cold starts
    short: a text never pays for the S3 or Transcribe client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                # Imported on first use: boto3 is most of a cold start's import time.
                import boto3

                attempts = 1 if service in SINGLE_ATTEMPT_SERVICES else 3
                self._clients[service] = boto3.client(service, config=_client_config(attempts))
            return self._clients[service]

    @property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @property
    def ssm(self) -> Any:
        return self._client("ssm")

    @property
    def connect(self) -> Any:
        return self._client("connect")

    @property
    def participant(self) -> Any:
        return self._client("connectparticipant")

    @property
    def social(self) -> Any:
        return self._client("socialmessaging")

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def transcribe(self) -> Any:
        return self._client("transcribe")


class Caches:
    """What a warm container remembers of AWS's answers, each for its own time, and what it has
    seen of the behaviours AWS and Meta do not document (probes.py)."""

    def __init__(self) -> None:
        self.settings = SettingsCache()
        self.attachment_rules: ExpiringCache[AttachmentRules] = ExpiringCache(
            ATTACHMENT_RULES_CACHE_SECONDS)
        self.templates: ExpiringCache[Any] = ExpiringCache(TEMPLATES_CACHE_SECONDS)
        self.probes = Probes()
        # Persistent chat's refusals, each logged once (history.py).
        self.history_refusals = Refusals()
        # The chats' connection tokens on_connect_event has seen, as hints (connection_hints.py).
        self.connection_hints = ConnectionHints()

    def clear(self) -> None:
        for cache in (self.settings, self.attachment_rules, self.templates, self.probes,
                      self.history_refusals, self.connection_hints):
            cache.clear()


class Runtime:
    def __init__(self, env: Environment, clients: Clients, caches: Caches,
                 clock: Callable[[], float] = time.time) -> None:
        self.env = env
        self.clients = clients
        self.caches = caches
        self.clock = clock

    @property
    def sessions_table(self) -> Table:
        return Table(self.clients.dynamodb, self.env.sessions_table)

    @property
    def buffer_table(self) -> Table:
        return Table(self.clients.dynamodb, self.env.buffer_table)

    def settings(self) -> Settings:
        return self.caches.settings.settings(self.clients.ssm, self.env.config_parameter)

    def attachment_rules(self, instance_id: str) -> AttachmentRules:
        # Connect's attachment rules change rarely; a warm container keeps them a while.
        return self.caches.attachment_rules.get(
            instance_id, lambda: connect.attachment_rules(self.clients.connect, instance_id))

    def template_summaries(self, waba_id: str) -> list[templates.TemplateSummary]:
        """Every template of the business account, whatever its status."""
        return self.caches.templates.get(
            ("list", waba_id), lambda: templates.list_templates(self.clients.social, waba_id))

    def template(self, waba_id: str, meta_template_id: str) -> templates.Template:
        return self.caches.templates.get(
            ("template", waba_id, meta_template_id),
            lambda: templates.get_template(self.clients.social, waba_id, meta_template_id))
