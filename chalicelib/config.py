"""Settings: deployment wiring from environment variables, behaviour from one SSM JSON parameter.

The SSM document is validated as a whole so that an operator who mistypes a value gets one clear
line naming the key, instead of a failure deep inside a Connect call.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from botocore.exceptions import ClientError

from .caching import ExpiringCache
from .aws_errors import error_code
from .whatsapp import WHATSAPP_TEXT_MAX_CHARS

DEFAULT_CONFIG_PARAMETER = "/whatsapp_eum_connect_chat/config"
SETTINGS_CACHE_SECONDS = 60

# Connect's model allows 16,384 bytes per chat message, but older models and documentation say
# 1,024 characters for text. 1,024 characters is accepted under both readings.
DEFAULT_CONNECT_MESSAGE_MAX_CHARS = 1024
CONNECT_MESSAGE_MAX_BYTES = 16384

DEFAULT_TRANSCRIBE_LANGUAGES = ("en-US", "es-US", "pt-BR")
DEFAULT_MAX_MEDIA_MB = 20
DEFAULT_MAX_VOICE_NOTE_SECONDS = 300
# How long before WhatsApp's 24-hour window closes an agent is told so; 0 never tells.
DEFAULT_WINDOW_WARNING_MINUTES = 60
# A conversation Amazon Connect cannot take now waits (waiting.py): what the customer is told once
# per wait, how often it is retried, how long it may wait, and what the customer is told then.
DEFAULT_BUSY_MESSAGE = ("Thanks for your message. All our agents are busy right now: you will be "
                        "connected as soon as one is free.")
DEFAULT_BUSY_RETRY_SECONDS = 30
DEFAULT_BUSY_MAX_WAIT_MINUTES = 60
# Waiting messages are read back from the buffer, whose items live 24 hours: a wait ends well before.
MAX_BUSY_WAIT_MINUTES = 23 * 60
DEFAULT_BUSY_TIMEOUT_MESSAGE = ("Sorry, we could not connect you to an agent this time. "
                                "Please write to us again later.")
# A returning customer's new chat carries the history of their last one (persistent chat), once
# that ended this long ago: "Users should wait 30-60 seconds before attempting to rehydrate from
# a previously ended chat" (Admin Guide, "Enable customers to resume chat conversations").
DEFAULT_HISTORY_MIN_AGE_SECONDS = 60
MAX_HISTORY_MIN_AGE_SECONDS = 3600

_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*$")
_META_API_VERSION = re.compile(r"^v\d+\.\d+$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")


# When the customer sees blue ticks: when an agent reads (or types, or replies), when the message
# reaches the chat, or never.
MARK_READ_BY_AGENT = "agent"
MARK_READ_ON_DELIVERY = "delivery"
MARK_READ_NEVER = "no"
MARK_READ_MODES = (MARK_READ_BY_AGENT, MARK_READ_ON_DELIVERY, MARK_READ_NEVER)


class SettingsError(ValueError):
    """The settings parameter or the environment is missing a key or holds an invalid value."""


@dataclass(frozen=True)
class Environment:
    sessions_table: str
    buffer_table: str
    media_bucket: str
    config_parameter: str
    streaming_topic_arn: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Environment":
        return cls(
            sessions_table=_required_env(environ, "SESSIONS_TABLE"),
            buffer_table=_required_env(environ, "BUFFER_TABLE"),
            media_bucket=environ.get("MEDIA_BUCKET", ""),
            config_parameter=environ.get("CONFIG_PARAMETER") or DEFAULT_CONFIG_PARAMETER,
            streaming_topic_arn=_required_env(environ, "CONNECT_STREAMING_TOPIC_ARN"),
        )


def _required_env(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class ChatRouting:
    """Where a business number's new chats go in Amazon Connect."""

    instance_id: str
    contact_flow_id: str
    chat_duration_minutes: int


@dataclass(frozen=True)
class Settings:
    routing: ChatRouting
    ignore_reactions: bool
    ignore_stickers: bool
    mark_as_read: str = MARK_READ_BY_AGENT
    progress_reactions: bool = False
    connect_participant_on_start: bool = True
    connect_message_max_chars: int = DEFAULT_CONNECT_MESSAGE_MAX_CHARS
    meta_api_version: str = "v20.0"
    flush_concurrency: int = 8
    transcribe_languages: tuple[str, ...] = DEFAULT_TRANSCRIBE_LANGUAGES
    echo_transcript: bool = False
    max_media_bytes: int = DEFAULT_MAX_MEDIA_MB * 1024 * 1024
    max_voice_note_seconds: int = DEFAULT_MAX_VOICE_NOTE_SECONDS
    window_warning_minutes: int = DEFAULT_WINDOW_WARNING_MINUTES
    busy_message: str = DEFAULT_BUSY_MESSAGE
    busy_retry_seconds: int = DEFAULT_BUSY_RETRY_SECONDS
    busy_max_wait_minutes: int = DEFAULT_BUSY_MAX_WAIT_MINUTES
    busy_timeout_message: str = DEFAULT_BUSY_TIMEOUT_MESSAGE
    history: bool = True
    history_min_age_seconds: int = DEFAULT_HISTORY_MIN_AGE_SECONDS
    routing_by_phone_number: Mapping[str, ChatRouting] = field(default_factory=dict)

    def routing_for(self, meta_phone_number_id: str) -> ChatRouting:
        return self.routing_by_phone_number.get(meta_phone_number_id, self.routing)

    def ignores(self, message_type: str) -> bool:
        """Whether a customer message of this WhatsApp type is dropped instead of reaching the chat."""
        return ((message_type == "reaction" and self.ignore_reactions)
                or (message_type == "sticker" and self.ignore_stickers))


def parse_settings(document: str) -> Settings:
    """Validate the SSM JSON document; raise SettingsError naming the first bad key."""
    try:
        raw = json.loads(document)
    except json.JSONDecodeError as error:
        raise SettingsError(f"settings parameter is not valid JSON: {error.msg}") from None
    if not isinstance(raw, dict):
        raise SettingsError("settings parameter must be a JSON object")
    known = {
        "instance_id", "contact_flow_id", "chat_duration_minutes", "ignore_reactions",
        "ignore_stickers", "mark_as_read", "progress_reactions", "connect_participant_on_start",
        "connect_message_max_chars", "meta_api_version", "flush_concurrency", "phone_numbers",
        "transcribe_languages", "echo_transcript", "max_media_mb", "max_voice_note_seconds",
        "window_warning_minutes", "busy_message", "busy_retry_seconds", "busy_max_wait_minutes",
        "busy_timeout_message", "history", "history_min_age_seconds",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"settings key {unknown[0]!r} is not a known setting")
    routing = _routing(raw)
    return Settings(
        routing=routing,
        ignore_reactions=_yes_no(raw, "ignore_reactions", required=True),
        ignore_stickers=_yes_no(raw, "ignore_stickers", required=True),
        mark_as_read=_mark_as_read(raw),
        progress_reactions=_yes_no(raw, "progress_reactions", default=False),
        connect_participant_on_start=_yes_no(raw, "connect_participant_on_start", default=True),
        connect_message_max_chars=_integer(
            raw, "connect_message_max_chars", DEFAULT_CONNECT_MESSAGE_MAX_CHARS, 100,
            CONNECT_MESSAGE_MAX_BYTES),
        meta_api_version=_meta_api_version(raw),
        flush_concurrency=_integer(raw, "flush_concurrency", 8, 1, 32),
        transcribe_languages=_languages(raw),
        echo_transcript=_yes_no(raw, "echo_transcript", default=False),
        max_media_bytes=_integer(raw, "max_media_mb", DEFAULT_MAX_MEDIA_MB, 1, 100) * 1024 * 1024,
        max_voice_note_seconds=_integer(
            raw, "max_voice_note_seconds", DEFAULT_MAX_VOICE_NOTE_SECONDS, 1, 3600),
        window_warning_minutes=_integer(
            raw, "window_warning_minutes", DEFAULT_WINDOW_WARNING_MINUTES, 0, 23 * 60),
        busy_message=_text(raw, "busy_message", DEFAULT_BUSY_MESSAGE),
        busy_retry_seconds=_integer(raw, "busy_retry_seconds", DEFAULT_BUSY_RETRY_SECONDS, 10, 3600),
        busy_max_wait_minutes=_integer(raw, "busy_max_wait_minutes", DEFAULT_BUSY_MAX_WAIT_MINUTES, 1,
                                       MAX_BUSY_WAIT_MINUTES),
        busy_timeout_message=_text(raw, "busy_timeout_message", DEFAULT_BUSY_TIMEOUT_MESSAGE),
        history=_on_off(raw, "history", default=True),
        history_min_age_seconds=_integer(raw, "history_min_age_seconds",
                                         DEFAULT_HISTORY_MIN_AGE_SECONDS, 0,
                                         MAX_HISTORY_MIN_AGE_SECONDS),
        routing_by_phone_number=_phone_number_overrides(raw, routing),
    )


def _routing(raw: Mapping[str, Any], prefix: str = "",
             fallback: ChatRouting | None = None) -> ChatRouting:
    return ChatRouting(
        instance_id=_identifier(raw, "instance_id", prefix, fallback and fallback.instance_id),
        contact_flow_id=_identifier(
            raw, "contact_flow_id", prefix, fallback and fallback.contact_flow_id),
        chat_duration_minutes=_integer(
            raw, "chat_duration_minutes",
            fallback.chat_duration_minutes if fallback else None, 60, 10080, prefix),
    )


def _phone_number_overrides(raw: Mapping[str, Any], default: ChatRouting) -> dict[str, ChatRouting]:
    overrides = raw.get("phone_numbers", {})
    if not isinstance(overrides, dict):
        raise SettingsError("settings key 'phone_numbers' must be an object keyed by Meta phone number id")
    routing = {}
    for phone_number_id, override in overrides.items():
        prefix = f"phone_numbers.{phone_number_id}."
        if not isinstance(override, dict):
            raise SettingsError(f"settings key '{prefix[:-1]}' must be an object")
        unknown = sorted(set(override) - {"instance_id", "contact_flow_id", "chat_duration_minutes"})
        if unknown:
            raise SettingsError(f"settings key '{prefix}{unknown[0]}' is not a per-number setting")
        routing[str(phone_number_id)] = _routing(override, prefix, fallback=default)
    return routing


def _identifier(raw: Mapping[str, Any], key: str, prefix: str, fallback: str | None) -> str:
    value = raw.get(key, fallback)
    if value is None:
        raise SettingsError(f"settings key '{prefix}{key}' is missing")
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"settings key '{prefix}{key}' must be a non-empty string")
    if _PLACEHOLDER.match(value):
        raise SettingsError(f"settings key '{prefix}{key}' still holds the placeholder {value!r}")
    return value.strip()


def _mark_as_read(raw: Mapping[str, Any]) -> str:
    value = raw.get("mark_as_read", MARK_READ_BY_AGENT)
    value = value.strip().lower() if isinstance(value, str) else value
    # "yes" was the only way to ask for read receipts before the agent's own reading counted.
    value = MARK_READ_ON_DELIVERY if value == "yes" else value
    if value not in MARK_READ_MODES:
        raise SettingsError(
            f"settings key 'mark_as_read' must be \"agent\", \"delivery\" or \"no\", not {value!r}")
    return value


def _yes_no(raw: Mapping[str, Any], key: str, default: bool | None = None,
            required: bool = False) -> bool:
    if key not in raw:
        if required:
            raise SettingsError(f"settings key '{key}' is missing")
        return bool(default)
    value = raw[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    raise SettingsError(f"settings key '{key}' must be \"yes\" or \"no\", not {value!r}")


def _on_off(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if isinstance(value, bool):
        return value
    value = value.strip().lower() if isinstance(value, str) else value
    if value not in ("on", "off"):
        raise SettingsError(f"settings key '{key}' must be \"on\" or \"off\", not {value!r}")
    return value == "on"


def _integer(raw: Mapping[str, Any], key: str, default: int | None, low: int, high: int,
             prefix: str = "") -> int:
    value = raw.get(key, default)
    if value is None:
        raise SettingsError(f"settings key '{prefix}{key}' is missing")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(
            f"settings key '{prefix}{key}' must be a whole number from {low} to {high}, not {value!r}")
    return value


def _text(raw: Mapping[str, Any], key: str, default: str) -> str:
    """A message for the customer: WhatsApp's text size at most; "" turns it off."""
    value = raw.get(key, default)
    if not isinstance(value, str) or len(value.strip()) > WHATSAPP_TEXT_MAX_CHARS:
        raise SettingsError(
            f"settings key '{key}' must be text of at most {WHATSAPP_TEXT_MAX_CHARS} characters "
            "(empty turns it off)")
    return value.strip()


def _meta_api_version(raw: Mapping[str, Any]) -> str:
    value = raw.get("meta_api_version", "v20.0")
    if not isinstance(value, str) or not _META_API_VERSION.match(value):
        raise SettingsError(f"settings key 'meta_api_version' must look like \"v20.0\", not {value!r}")
    return value


def _languages(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("transcribe_languages", list(DEFAULT_TRANSCRIBE_LANGUAGES))
    if (not isinstance(value, list) or not 1 <= len(value) <= 5
            or not all(isinstance(code, str) and _LANGUAGE_CODE.match(code) for code in value)):
        raise SettingsError(
            "settings key 'transcribe_languages' must be a list of 1 to 5 language codes such as "
            f"\"en-US\", not {value!r}")
    return tuple(value)


class SettingsCache(ExpiringCache[Settings]):
    """Keeps the parsed settings for a short time so warm invocations skip the SSM call."""

    def __init__(self, ttl_seconds: float = SETTINGS_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ttl_seconds, clock)

    def settings(self, ssm_client: Any, parameter_name: str) -> Settings:
        return self.get(parameter_name, lambda: load_settings(ssm_client, parameter_name))


def load_settings(ssm_client: Any, parameter_name: str) -> Settings:
    try:
        response = ssm_client.get_parameter(Name=parameter_name, WithDecryption=True)
    except ClientError as error:
        if error_code(error) != "ParameterNotFound":
            raise
        raise SettingsError(f"settings parameter {parameter_name} does not exist") from None
    return parse_settings(response["Parameter"]["Value"])
