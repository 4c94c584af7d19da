"""Sending WhatsApp messages through End User Messaging Social, and telling its errors apart."""
from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from . import logs
from .aws_errors import error_code, error_message

# End User Messaging Social errors that another attempt cannot fix; the rest are throttling or
# service faults that botocore and Lambda retry.
PERMANENT_ERRORS = frozenset({
    "ValidationException", "InvalidParametersException", "AccessDeniedException",
    "AccessDeniedByMetaException", "ResourceNotFoundException",
})


# Meta's rate limits, which End User Messaging Social passes on with Meta's code in the message
# (how is not documented): the Cloud API's throughput (130429), the business and customer pair rate
# (131056: "1 message every 6 seconds to the same WhatsApp user") and the spam rate (80007). Meta
# says to wait and retry; they are never "not delivered".
META_RATE_LIMIT_CODES = ("130429", "131056", "80007")
# After botocore's own attempts, a throttled send waits this long and tries again, so a burst to one
# customer passes Meta's pair rate within the invocation; then Lambda retries the event.
THROTTLE_PAUSES_SECONDS = (2.0, 6.0)


class WhatsAppRefused(Exception):
    """End User Messaging Social refused the request for good: another attempt cannot succeed."""

    def __init__(self, error: ClientError) -> None:
        super().__init__(error_message(error))
        self.code = error_code(error)
        self.message = error_message(error)


def is_throttled(error: ClientError) -> bool:
    return (error_code(error) == "ThrottledRequestException"
            or any(code in error_message(error) for code in META_RATE_LIMIT_CODES))


def is_permanent(error: ClientError) -> bool:
    return error_code(error) in PERMANENT_ERRORS and not is_throttled(error)


def send(social_client: Any, origination_id: str, payload: dict, meta_api_version: str) -> str:
    """SendWhatsAppMessage; WhatsAppRefused when no retry can help, ClientError when one can."""
    message = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    pauses = iter(THROTTLE_PAUSES_SECONDS)
    while True:
        try:
            response = social_client.send_whatsapp_message(
                originationPhoneNumberId=origination_id, message=message,
                metaApiVersion=meta_api_version)
            return response.get("messageId", "")
        except ClientError as error:
            if is_permanent(error):
                raise WhatsAppRefused(error) from None
            pause = next(pauses, None) if is_throttled(error) else None
            if pause is None:
                raise
            logs.info("whatsapp_send_throttled", error=error_code(error), pauseSeconds=pause)
            time.sleep(pause)


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
