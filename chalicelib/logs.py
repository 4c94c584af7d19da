"""Structured logs: one JSON object per line, safe to ship to CloudWatch.

Tokens never leave the process and customer identifiers are masked, whatever a caller passes in.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER_NAME = "whatsapp_connect_chat"
_MASKED_KEYS = frozenset({
    "customer", "customerid", "customer_id", "wa_id", "waid", "user_id", "from", "to",
    "recipient", "recipient_id", "phone", "phone_number",
})
_VISIBLE_DIGITS = 4


def mask_identifier(value: Any) -> str:
    """Hide all but the last four characters of a phone number or business-scoped user id."""
    text = str(value)
    if len(text) <= _VISIBLE_DIGITS:
        return "*" * len(text)
    return "*" * (len(text) - _VISIBLE_DIGITS) + text[-_VISIBLE_DIGITS:]


def _safe_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if "token" in lowered:
        return "[redacted]"
    if value is not None and lowered in _MASKED_KEYS:
        return mask_identifier(value)
    if isinstance(value, dict):
        return {k: _safe_value(k, v) for k, v in value.items()}
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "event": record.getMessage(),
        }
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = _safe_value(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time, as Lambda and `chalice local` capture it."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def get_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # Lambda's root handler would print every line a second time in its own format.
        logger.propagate = False
    return logger


def log(level: int, event: str, **fields: Any) -> None:
    get_logger().log(level, event, extra={"fields": fields})


def info(event: str, **fields: Any) -> None:
    log(logging.INFO, event, **fields)


def warning(event: str, **fields: Any) -> None:
    log(logging.WARNING, event, **fields)


def error(event: str, **fields: Any) -> None:
    log(logging.ERROR, event, **fields)


def exception(event: str, **fields: Any) -> None:
    get_logger().error(event, exc_info=True, extra={"fields": fields})
