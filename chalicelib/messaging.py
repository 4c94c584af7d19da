"""Sending WhatsApp messages through End User Messaging Social, and telling its errors apart."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from . import logs
from .errors import error_code, error_message

# End User Messaging Social errors that another attempt cannot fix; the rest are throttling or
# service faults that botocore and Lambda retry.
PERMANENT_ERRORS = frozenset({
    "ValidationException", "InvalidParametersException", "AccessDeniedException",
    "AccessDeniedByMetaException", "ResourceNotFoundException",
})


class WhatsAppRefused(Exception):
    """End User Messaging Social refused the request for good: another attempt cannot succeed."""

    def __init__(self, error: ClientError) -> None:
        super().__init__(error_message(error))
        self.code = error_code(error)
        self.message = error_message(error)


def is_permanent(error: ClientError) -> bool:
    return error_code(error) in PERMANENT_ERRORS


def send(social_client: Any, origination_id: str, payload: dict, meta_api_version: str) -> str:
    """SendWhatsAppMessage; WhatsAppRefused when no retry can help, ClientError when one can."""
    try:
        response = social_client.send_whatsapp_message(
            originationPhoneNumberId=origination_id,
            message=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            metaApiVersion=meta_api_version,
        )
    except ClientError as error:
        if is_permanent(error):
            raise WhatsAppRefused(error) from None
        raise
    return response.get("messageId", "")


def send_best_effort(social_client: Any, origination_id: str, payload: dict, meta_api_version: str,
                     failure_event: str, **log_fields: Any) -> None:
    """A notice, read receipt or reaction that must never fail or repeat a delivery: a failure is
    logged under `failure_event` and the delivery goes on."""
    try:
        send(social_client, origination_id, payload, meta_api_version)
    except WhatsAppRefused as refused:
        logs.warning(failure_event, error=refused.code, **log_fields)
    except ClientError as error:
        logs.warning(failure_event, error=error_code(error), **log_fields)
