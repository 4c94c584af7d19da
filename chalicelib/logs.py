"""Structured logs: one JSON object per line, naming the Lambda invocation, safe to ship to CloudWatch.

Whatever a caller passes in, tokens never leave the process, customer ids are masked to their last
four characters, WhatsApp message ids (whose base64 spells the customer's number) are replaced by
a short hash, and a number standing on its own in any text (an exception's message, a reason) is
masked the same way as a customer id.
"""
from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import re
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .digests import short_digest

LOGGER_NAME = "whatsapp_connect_chat"
# The stage's LOG_LEVEL setting (.chalice/config.json): DEBUG shows what is expected and routine.
LOG_LEVEL_VARIABLE = "LOG_LEVEL"
DEFAULT_LEVEL = logging.INFO
_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING,
           "ERROR": logging.ERROR, "CRITICAL": logging.CRITICAL}
_MASKED_KEYS = frozenset({
    "customer", "customerid", "customer_id", "wa_id", "waid", "user_id", "from", "to",
    "recipient", "recipient_id", "phone", "phone_number",
})
_MESSAGE_ID_KEYS = frozenset({"messageid", "messageids", "whatsappmessageid", "wamid"})
# Ids that AWS or Meta mint, never a customer's number: logged exactly, so they can be searched for.
_MINTED_ID_KEYS = frozenset({
    "contactid", "keptcontactid", "instanceid", "connectmessageid", "snsmessageid", "eventid",
    "phonenumberid",
})
_VISIBLE_DIGITS = 4
_MESSAGE_ID_HASH_CHARS = 12
# A wamid's body is base64 (standard or URL-safe alphabet). A bare number is 7 or more digits with
# no letter or digit either side, so hex digests and UUIDs are left alone.
_WAMID = r"wamid\.[A-Za-z0-9+/=_-]+"
_BARE_NUMBER = r"(?<![0-9A-Za-z])\+?[0-9]{7,}(?![0-9A-Za-z])"
_SENSITIVE = re.compile(f"(?P<wamid>{_WAMID})|(?P<number>{_BARE_NUMBER})")
_WAMID_ONLY = re.compile(_WAMID)


def mask_identifier(value: Any) -> str:
    """Hide all but the last four characters of a phone number or business-scoped user id."""
    text = str(value)
    if len(text) <= _VISIBLE_DIGITS:
        return "*" * len(text)
    return "*" * (len(text) - _VISIBLE_DIGITS) + text[-_VISIBLE_DIGITS:]


def message_id_hash(message_id: str) -> str:
    """The same message id gives the same hash on every line; the random part of a wamid keeps
    anyone from finding the number by hashing every possible number."""
    return "wamid:" + short_digest(message_id, _MESSAGE_ID_HASH_CHARS)


def _hash_wamids(text: str) -> tuple[str, int]:
    return _WAMID_ONLY.subn(lambda match: message_id_hash(match.group()), text)


def _scrub_match(match: re.Match) -> str:
    if match.group("wamid"):
        return message_id_hash(match.group("wamid"))
    return mask_identifier(match.group("number"))


def scrub_text(text: str) -> str:
    """Message ids hashed and bare numbers masked, wherever they stand in the text."""
    return _SENSITIVE.sub(_scrub_match, text)


def _safe_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if "token" in lowered:
        return "[redacted]"
    if value is None:
        return value
    if isinstance(value, dict):
        return {scrub_text(str(k)): _safe_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_safe_value(key, item) for item in value]
    if lowered in _MASKED_KEYS:
        return mask_identifier(value)
    if isinstance(value, (bool, int, float)):  # sizes, counts, status codes
        return value
    text = str(value)
    if lowered in _MESSAGE_ID_KEYS:
        # Suffixes the bridge adds to an id ("#failed", "#caption") stay readable after its hash.
        hashed, found = _hash_wamids(text)
        return hashed if found else message_id_hash(text)
    if lowered == "conversationid":  # <business phone number id>#<customer id>
        business, separator, customer = text.rpartition("#")
        return f"{business}{separator}{mask_identifier(customer)}"
    if lowered in _MINTED_ID_KEYS:
        return _hash_wamids(text)[0]
    return scrub_text(text)


@dataclass(frozen=True, eq=False)  # two calls of one handler are two invocations, whatever they share
class Invocation:
    request_id: str | None
    function_name: str
    # A container's first invocation paid for the cold start (imports, clients) in its latency.
    cold_start: bool


# The handler's own thread reads its invocation from the context variable. Threads the handler
# starts (the flush's delivery pool) do not inherit it, so they read the invocation that started
# last and is still running: one Lambda container runs one invocation at a time, and only
# `chalice local` may overlap two.
_bound: ContextVar[Invocation | None] = ContextVar("invocation", default=None)
_running: list[Invocation] = []
_started = itertools.count()
# What else ends with an invocation, whether the handler returned or raised (metrics.py writes its
# line): each is called with the invocation that ends.
_endings: list[Callable[[Invocation], None]] = []


def at_invocation_end(callback: Callable[[Invocation], None]) -> None:
    _endings.append(callback)


def current_invocation() -> Invocation | None:
    bound = _bound.get()
    if bound is not None:
        return bound
    running = _running[-1:]
    return running[0] if running else None


@contextmanager
def invocation(context: Any, handler_name: str) -> Iterator[Invocation]:
    """Every line logged inside, on any thread, carries this invocation's request id and function.
    `context` is the Lambda context (None when a handler is called directly, as `make bench` does)."""
    bound = Invocation(getattr(context, "aws_request_id", None),
                       getattr(context, "function_name", None) or handler_name,
                       cold_start=next(_started) == 0)
    reset = _bound.set(bound)
    _running.append(bound)
    try:
        yield bound
    finally:
        try:
            for ending in _endings:
                ending(bound)
        finally:
            _running.remove(bound)
            _bound.reset(reset)


def invocation_handler(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """For a Chalice event handler, under its @app decorator: the event's Lambda context names the
    invocation for every line the handler logs."""

    @functools.wraps(func)
    def in_invocation(event: Any) -> Any:
        with invocation(getattr(event, "context", None), func.__name__):
            return func(event)

    return in_invocation


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "event": scrub_text(record.getMessage()),
        }
        running = current_invocation()
        if running is not None:
            if running.request_id is not None:
                entry["requestId"] = running.request_id
            entry["function"] = running.function_name
            entry["coldStart"] = running.cold_start
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = _safe_value(key, value)
        if record.exc_info:
            entry["exception"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time, as Lambda and `chalice local` capture it."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def level_named(name: str | None) -> int | None:
    """The level a LOG_LEVEL value names (any case, surrounding spaces ignored); None if none."""
    return _LEVELS.get((name or "").strip().upper())


def get_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        stdout = StdoutHandler()
        stdout.setFormatter(JsonFormatter())
        logger.addHandler(stdout)
        # Set once, when the container starts: Lambda's environment does not change under it.
        setting = os.environ.get(LOG_LEVEL_VARIABLE)
        logger.setLevel(level_named(setting) or DEFAULT_LEVEL)
        # Lambda's root handler would print every line a second time in its own format.
        logger.propagate = False
        if setting is not None and level_named(setting) is None:
            logger.warning("log_level_invalid", extra={"fields": {
                "setting": setting[:40], "levelUsed": logging.getLevelName(DEFAULT_LEVEL),
                "levels": list(_LEVELS)}})
    return logger


def log(level: int, event: str, **fields: Any) -> None:
    get_logger().log(level, event, extra={"fields": fields})


def debug(event: str, **fields: Any) -> None:
    """Off unless the stage's LOG_LEVEL is DEBUG: what is expected and routine."""
    log(logging.DEBUG, event, **fields)


def info(event: str, **fields: Any) -> None:
    log(logging.INFO, event, **fields)


def warning(event: str, **fields: Any) -> None:
    log(logging.WARNING, event, **fields)


def error(event: str, **fields: Any) -> None:
    log(logging.ERROR, event, **fields)


def exception(event: str, **fields: Any) -> None:
    get_logger().error(event, exc_info=True, extra={"fields": fields})
