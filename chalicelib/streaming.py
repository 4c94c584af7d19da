"""Connect contact streaming: the items Connect publishes for a chat, parsed and told apart."""
from __future__ import annotations

import json
from dataclasses import dataclass

SENDING_ROLES = frozenset({"AGENT", "SYSTEM", "CUSTOM_BOT"})
CUSTOMER_VISIBILITIES = frozenset({"CUSTOMER", "ALL"})
CHAT_ENDED = "application/vnd.amazonaws.connect.event.chat.ended"
PARTICIPANT_LEFT = "application/vnd.amazonaws.connect.event.participant.left"
TEXT_PLAIN = "text/plain"
TEXT_MARKDOWN = "text/markdown"
INTERACTIVE = "application/vnd.amazonaws.connect.message.interactive"
# What a WhatsApp message can show; anything else (application/json, say) is not sent raw.
CUSTOMER_READABLE_TYPES = frozenset({TEXT_PLAIN, TEXT_MARKDOWN, INTERACTIVE})


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


def parse_streaming_record(record: dict) -> StreamingItem:
    try:
        sns = record["Sns"]
        body = json.loads(sns["Message"])
        attributes = sns.get("MessageAttributes") or {}
        initial_contact_id = body.get("InitialContactId") or _attribute(attributes, "InitialContactId")
        if not body.get("Id") or not body.get("Type") or not initial_contact_id:
            raise KeyError("Id, Type or InitialContactId")
        return StreamingItem(
            id=body["Id"],
            type=body["Type"],
            content_type=body.get("ContentType") or _attribute(attributes, "ContentType"),
            content=body.get("Content") or "",
            participant_role=body.get("ParticipantRole") or _attribute(attributes, "ParticipantRole"),
            display_name=body.get("DisplayName") or "",
            initial_contact_id=initial_contact_id,
            contact_id=body.get("ContactId") or _attribute(attributes, "ContactId")
            or initial_contact_id,
            # Connect sets the visibility on messages; an event without one concerns everybody.
            visibility=_attribute(attributes, "MessageVisibility") or "ALL",
            attachments=tuple(a for a in body.get("Attachments") or [] if isinstance(a, dict)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MalformedStreamingEvent(f"not a Connect streaming item: {error!r}") from None


def _attribute(attributes: dict, name: str) -> str:
    value = attributes.get(name)
    return value.get("Value", "") if isinstance(value, dict) else ""


def is_chat_end(item: StreamingItem) -> bool:
    return item.type == "EVENT" and (
        item.content_type == CHAT_ENDED
        or (item.content_type == PARTICIPANT_LEFT and item.participant_role == "CUSTOMER"))


def is_for_customer(item: StreamingItem) -> bool:
    return (item.type == "MESSAGE" and item.participant_role in SENDING_ROLES
            and item.visibility in CUSTOMER_VISIBILITIES
            and item.content_type in CUSTOMER_READABLE_TYPES and bool(item.content.strip()))


def is_attachment_for_customer(item: StreamingItem) -> bool:
    return (item.type == "ATTACHMENT" and item.participant_role in SENDING_ROLES
            and item.visibility in CUSTOMER_VISIBILITIES and bool(item.attachments))
