"""Connect contact streaming: the items Connect publishes for a chat, parsed and told apart."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from . import logs

SENDING_ROLES = frozenset({"AGENT", "SYSTEM", "CUSTOM_BOT"})
CUSTOMER_VISIBILITIES = frozenset({"CUSTOMER", "ALL"})
CHAT_ENDED = "application/vnd.amazonaws.connect.event.chat.ended"
PARTICIPANT_LEFT = "application/vnd.amazonaws.connect.event.participant.left"
TEXT_PLAIN = "text/plain"
TEXT_MARKDOWN = "text/markdown"
INTERACTIVE = "application/vnd.amazonaws.connect.message.interactive"
TYPING = "application/vnd.amazonaws.connect.event.typing"
MESSAGE_READ = "application/vnd.amazonaws.connect.event.message.read"
MESSAGE_DELIVERED = "application/vnd.amazonaws.connect.event.message.delivered"
# The forms a read receipt takes in Connect's APIs: an EVENT of that content type, the transcript's
# MESSAGE_READ item, and the websocket's MESSAGEMETADATA with its Receipts (events/README.md).
READ_ITEM_TYPES = frozenset({"MESSAGE_READ"})
MESSAGE_METADATA = "MESSAGEMETADATA"
# What a WhatsApp message can show; anything else (application/json, say) is not sent raw.
CUSTOMER_READABLE_TYPES = frozenset({TEXT_PLAIN, TEXT_MARKDOWN, INTERACTIVE})
ID_MAX_CHARS = 256
ATTACHMENT_FIELDS = frozenset({"AttachmentId", "AttachmentName", "ContentType", "Status"})


class MalformedStreamingEvent(ValueError):
    """Not a Connect contact-streaming item this bridge understands."""


@dataclass(frozen=True)
class StreamingItem:
    id: str
    type: str
    content_type: str
    content: str
    participant_role: str
    display_name: str
    initial_contact_id: str
    contact_id: str
    visibility: str
    attachments: tuple[dict, ...] = ()
    # The Connect message a read receipt says was read.
    read_message_id: str = ""
    # When Connect took the item (its AbsoluteTime), epoch seconds; 0 when not known.
    taken_at: float = 0.0


def parse_streaming_record(record: dict) -> StreamingItem:
    """One SNS record of Connect contact streaming, or MalformedStreamingEvent saying what is wrong.

    A field that decides what the bridge does (Id, Type, the contact, Content, ParticipantRole,
    ContentType) must be a string when present; guessing at a list or an object could send the
    customer something nobody wrote. Optional display fields of the wrong type count as absent.
    """
    sns = record.get("Sns") if isinstance(record, dict) else None
    if not isinstance(sns, dict) or not isinstance(sns.get("Message"), str):
        raise MalformedStreamingEvent("not an SNS record with a message")
    try:
        body = json.loads(sns["Message"])
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        raise MalformedStreamingEvent("the SNS message is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedStreamingEvent("the SNS message is not a JSON object")
    attributes = sns.get("MessageAttributes")
    attributes = attributes if isinstance(attributes, dict) else {}

    def field(name: str, *, from_attributes: bool = False) -> str:
        value = body.get(name)
        if value is None or value == "":
            return _attribute(attributes, name) if from_attributes else ""
        if not isinstance(value, str):
            raise MalformedStreamingEvent(f"{name} is a {type(value).__name__}, not a string")
        return value

    item_id, item_type = _identifier(field("Id"), "Id"), field("Type")
    initial_contact_id = _identifier(field("InitialContactId", from_attributes=True), "InitialContactId")
    if not item_id or not item_type or not initial_contact_id:
        raise MalformedStreamingEvent("no Id, Type or InitialContactId")
    display_name = body.get("DisplayName")
    content_type = field("ContentType", from_attributes=True)
    return StreamingItem(
        id=item_id,
        type=item_type,
        content_type=content_type,
        content=field("Content"),
        participant_role=field("ParticipantRole", from_attributes=True),
        display_name=display_name if isinstance(display_name, str) else "",
        initial_contact_id=initial_contact_id,
        contact_id=_identifier(field("ContactId", from_attributes=True), "ContactId")
        or initial_contact_id,
        # Connect sets the visibility on messages; an event without one concerns everybody.
        visibility=_attribute(attributes, "MessageVisibility") or "ALL",
        attachments=_attachments(body, item_id, initial_contact_id),
        read_message_id=_read_message_id(body, item_type, content_type),
        taken_at=absolute_time(body.get("AbsoluteTime")),
    )


def absolute_time(value: object) -> float:
    """Connect's AbsoluteTime (ISO 8601, UTC: `2025-11-12T14:01:05.123Z`) in epoch seconds; 0 when
    it is absent or not such a time."""
    if not isinstance(value, str):
        return 0.0
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return moment.timestamp() if moment.tzinfo else 0.0


def _read_message_id(body: dict, item_type: str, content_type: str) -> str:
    """The message a read receipt names, whichever form it takes; "" for anything else."""
    if item_type == MESSAGE_METADATA:
        metadata = body.get("MessageMetadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        receipts = metadata.get("Receipts")
        read = isinstance(receipts, list) and any(
            isinstance(r, dict) and r.get("ReadTimestamp") for r in receipts)
        message_id = metadata.get("MessageId")
        return message_id if read and isinstance(message_id, str) else ""
    if not ((item_type == "EVENT" and content_type == MESSAGE_READ) or item_type in READ_ITEM_TYPES):
        return ""
    try:
        content = json.loads(body.get("Content") or "{}")
    except (TypeError, ValueError, RecursionError):
        return ""
    message_id = content.get("messageId") if isinstance(content, dict) else None
    return message_id if isinstance(message_id, str) else ""


def _identifier(value: str, name: str) -> str:
    # Ids become keys of the sessions table; Connect's are UUIDs.
    if len(value) > ID_MAX_CHARS:
        raise MalformedStreamingEvent(f"{name} is longer than {ID_MAX_CHARS} characters")
    return value


def _attachments(body: dict, item_id: str, contact_id: str) -> tuple[dict, ...]:
    """The item's attachments that name an AttachmentId, the only way to fetch one; the others
    are dropped, and logged, so the attachments beside them still reach the customer."""
    listed = body.get("Attachments")
    if listed is None:
        return ()
    if not isinstance(listed, list):
        raise MalformedStreamingEvent("Attachments is not a list")
    usable = tuple(_attachment(a) for a in listed if isinstance(a, dict) and _has_id(a))
    if len(usable) < len(listed):
        logs.warning("attachment_without_id_dropped", contactId=contact_id, connectMessageId=item_id,
                     dropped=len(listed) - len(usable))
    return usable


def _has_id(attachment: dict) -> bool:
    attachment_id = attachment.get("AttachmentId")
    return isinstance(attachment_id, str) and 0 < len(attachment_id) <= ID_MAX_CHARS


def _attachment(attachment: dict) -> dict:
    """Only string fields are kept: a name or type of another kind counts as absent."""
    return {key: value for key, value in attachment.items()
            if key in ATTACHMENT_FIELDS and isinstance(value, str)}


def _attribute(attributes: dict, name: str) -> str:
    value = attributes.get(name)
    text = value.get("Value") if isinstance(value, dict) else None
    return text if isinstance(text, str) else ""


def is_chat_end(item: StreamingItem) -> bool:
    return item.type == "EVENT" and (
        item.content_type == CHAT_ENDED
        or (item.content_type == PARTICIPANT_LEFT and item.participant_role == "CUSTOMER"))


def is_for_customer(item: StreamingItem) -> bool:
    return (item.type == "MESSAGE" and item.participant_role in SENDING_ROLES
            and item.visibility in CUSTOMER_VISIBILITIES
            and item.content_type in CUSTOMER_READABLE_TYPES and bool(item.content.strip()))


def is_command_capable(item: StreamingItem) -> bool:
    """A text message, which may be an agent's command to the bridge (an interactive one is not)."""
    return item.content_type in (TEXT_PLAIN, TEXT_MARKDOWN)


def is_attachment_for_customer(item: StreamingItem) -> bool:
    return (item.type == "ATTACHMENT" and item.participant_role in SENDING_ROLES
            and item.visibility in CUSTOMER_VISIBILITIES and bool(item.attachments)
            and all(_has_id(attachment) for attachment in item.attachments))


def is_agent_typing(item: StreamingItem) -> bool:
    return item.type == "EVENT" and item.content_type == TYPING and item.participant_role == "AGENT"


def is_agent_read_receipt(item: StreamingItem) -> bool:
    # The websocket form names the reader only by participant id; any read receipt on a customer's
    # message is somebody else's, an agent's.
    return bool(item.read_message_id) and item.participant_role != "CUSTOMER"


def is_customer_echo(item: StreamingItem) -> bool:
    return item.type == "MESSAGE" and item.participant_role == "CUSTOMER"
