"""What an AWS error says: its code and message, read the one way botocore reports them."""
from __future__ import annotations

from botocore.exceptions import ClientError

ACCESS_DENIED = "AccessDeniedException"


def error_code(error: ClientError) -> str | None:
    return error.response.get("Error", {}).get("Code")


def error_message(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return details.get("Message") or details.get("Code") or "unknown error"
