"""WhatsApp's delivered and read statuses for agents' messages, as the agent's Connect receipts.

An agent's WhatsApp message carries its chat and Connect message id in `biz_opaque_callback_data`,
which Meta echoes in the message's status webhooks, so no mapping is stored: a status names the
receipt it becomes. Statuses go straight from on_whatsapp_event to Connect, not through the
buffer: they are not part of the conversation's order, must never delay or fail a customer's
message, and a receipt a few seconds late helps nobody.
"""
from __future__ import annotations

from botocore.exceptions import ClientError

from . import chat, connect, logs, sessions
from .chat import ChatGone
from .digests import client_token
from .errors import error_code
from .runtime import Runtime
from .whatsapp import DeliveryStatus

_SEPARATOR = "|"
RECEIPT_TYPES = {"delivered": connect.DELIVERED_RECEIPT, "read": connect.READ_RECEIPT}
# Connect refuses receipts in a chat of more than two participants (a supervisor, a second agent).
MORE_THAN_TWO_PARTICIPANTS = "ConflictException"


def callback_data(contact_id: str, connect_message_id: str) -> str:
    return f"{contact_id}{_SEPARATOR}{connect_message_id}"


def tracked_message(status: DeliveryStatus) -> tuple[str, str] | None:
    """The chat and Connect message a status is about, when the bridge sent that message."""
    data = status.body.get("biz_opaque_callback_data")
    if not isinstance(data, str) or data.count(_SEPARATOR) != 1:
        return None
    contact_id, message_id = data.split(_SEPARATOR)
    return (contact_id, message_id) if contact_id and message_id else None


def to_agent(status: DeliveryStatus, runtime: Runtime) -> None:
    content_type = RECEIPT_TYPES.get(status.status)
    tracked = tracked_message(status)
    if content_type is None or tracked is None:
        logs.debug("status_for_unknown_message_dropped", status=status.status,
                   messageId=status.message_id)
        return
    contact_id, connect_message_id = tracked
    session = sessions.get(runtime.clients.dynamodb, runtime.env.sessions_table, contact_id)
    if session is None:
        logs.debug("status_for_unknown_chat_dropped", contactId=contact_id)
        return
    token = client_token("receipt", status.status, status.message_id)
    try:
        chat.with_connection(runtime, session, lambda connection_token: connect.send_receipt(
            runtime.clients.participant, connection_token, content_type, connect_message_id, token))
    except ChatGone:
        logs.debug("receipt_for_ended_chat_dropped", contactId=contact_id)
        return
    except ClientError as error:
        if error_code(error) != MORE_THAN_TWO_PARTICIPANTS:
            raise
        logs.debug("receipt_not_shown_to_more_than_two", contactId=contact_id)
        return
    logs.info("receipt_shown_to_agent", contactId=contact_id, connectMessageId=connect_message_id,
              status=status.status)
