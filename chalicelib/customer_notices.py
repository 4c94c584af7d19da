"""What a customer hears on WhatsApp of their messages' way to the agent: the read receipt and the
progress reaction once the chat has them, the waiting room's lines, a refused file's line.

Each is best effort: a failure is logged and never fails or repeats the delivery it is about.
"""
from __future__ import annotations

from typing import Any

from . import messaging, whatsapp
from .buffer import BufferedEntry
from .config import MARK_READ_ON_DELIVERY, Settings
from .runtime import Runtime

DELIVERED_REACTION = "✅"


def acknowledge(runtime: Runtime, settings: Settings, last: BufferedEntry) -> None:
    """The newest delivered message marked read and reacted to, as the settings ask."""
    origination, version = last.business.origination_id, settings.meta_api_version
    social = runtime.clients.social
    if settings.mark_as_read == MARK_READ_ON_DELIVERY:
        messaging.send_best_effort(social, origination, whatsapp.read_receipt(last.message_id),
                                   version, "mark_as_read_failed", messageId=last.message_id)
    if settings.progress_reactions:
        messaging.send_best_effort(
            social, origination,
            whatsapp.reaction_message(last.customer.address, last.message_id, DELIVERED_REACTION),
            version, "progress_reaction_failed", messageId=last.message_id)


def tell(runtime: Runtime, settings: Settings, about: BufferedEntry, text: str,
         failure_event: str, **log_fields: Any) -> None:
    """A line to the customer who wrote `about`, from the business number they wrote to."""
    messaging.send_best_effort(
        runtime.clients.social, about.business.origination_id,
        whatsapp.text_message(about.customer.address, text), settings.meta_api_version,
        failure_event, **log_fields)
