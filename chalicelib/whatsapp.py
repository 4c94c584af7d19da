"""The WhatsApp wire format: inbound webhooks parsed into notifications, outbound payloads built."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Union

WHATSAPP_TEXT_MAX_CHARS = 4096
PROFILE_NAME_FALLBACK = "WhatsApp customer"

class MalformedEvent(ValueError):
    """The event is not an End User Messaging Social WhatsApp notification this bridge understands."""


@dataclass(frozen=True)
class BusinessNumber:
    meta_phone_number_id: str
    origination_id: str  # what SendWhatsAppMessage takes: the phone-number-id ARN
    display_phone_number: str


@dataclass(frozen=True)
class Customer:
    customer_id: str  # wa_id, or the business-scoped user id when WhatsApp leaves wa_id out
    wa_id: str | None
    user_id: str | None
    name: str

    @property
    def address(self) -> str:
        return self.wa_id or self.customer_id


@dataclass(frozen=True)
class _WebhookItem:
    """What messages and statuses share: whose conversation, which WhatsApp id, when."""

    business: BusinessNumber
    customer: Customer
    message_id: str
    timestamp: int
    body: dict

    @property
    def conversation_id(self) -> str:
        return conversation_id(self.business.meta_phone_number_id, self.customer.customer_id)


@dataclass(frozen=True)
class InboundMessage(_WebhookItem):
    type: str


@dataclass(frozen=True)
class DeliveryStatus(_WebhookItem):
    status: str


Notification = Union[InboundMessage, DeliveryStatus]


def conversation_id(meta_phone_number_id: str, customer_id: str) -> str:
    return f"{meta_phone_number_id}#{customer_id}"


def parse_notification(sns_message: str) -> list[Notification]:
    """Turn one End User Messaging Social SNS message into the messages and statuses it carries."""
    try:
        envelope = json.loads(sns_message)
        entry = json.loads(envelope["whatsAppWebhookEntry"])
        phone_numbers = envelope["context"]["MetaPhoneNumberIds"]
        changes = entry["changes"]
    except (TypeError, KeyError, ValueError) as error:
        raise MalformedEvent(f"not an End User Messaging Social WhatsApp event: {error!r}") from None
    notifications: list[Notification] = []
    for change in changes:
        value = change.get("value") if isinstance(change, dict) else None
        if not isinstance(value, dict):
            raise MalformedEvent("webhook change without a value object")
        business = _business_number(value.get("metadata") or {}, phone_numbers)
        contacts = value.get("contacts") or []
        for message in value.get("messages") or []:
            notifications.append(_inbound_message(business, contacts, message))
        for status in value.get("statuses") or []:
            notifications.append(_delivery_status(business, contacts, status))
    return notifications


def _business_number(metadata: dict, phone_numbers: list) -> BusinessNumber:
    meta_id = str(metadata.get("phone_number_id") or "")
    candidates = [n for n in phone_numbers if isinstance(n, dict) and n.get("arn")]
    if not candidates:
        raise MalformedEvent("event context names no business phone number")
    chosen = next((n for n in candidates if str(n.get("metaPhoneNumberId")) == meta_id), candidates[0])
    return BusinessNumber(
        meta_phone_number_id=meta_id or str(chosen.get("metaPhoneNumberId", "")),
        origination_id=chosen["arn"],
        display_phone_number=str(metadata.get("display_phone_number") or ""),
    )


def _customer(contacts: list, wa_id: str | None, user_id: str | None) -> Customer:
    contact = next(
        (c for c in contacts if isinstance(c, dict)
         and ((wa_id and c.get("wa_id") == wa_id) or (user_id and c.get("user_id") == user_id))),
        contacts[0] if len(contacts) == 1 and isinstance(contacts[0], dict) else {},
    )
    wa_id = wa_id or contact.get("wa_id")
    user_id = user_id or contact.get("user_id")
    customer_id = wa_id or user_id
    if not customer_id:
        raise MalformedEvent("no customer id (wa_id or user_id)")
    name = ((contact.get("profile") or {}).get("name") or "").strip() or PROFILE_NAME_FALLBACK
    return Customer(customer_id=str(customer_id), wa_id=wa_id, user_id=user_id, name=name)


def _timestamp(raw: dict) -> int:
    try:
        return int(raw["timestamp"])
    except (KeyError, TypeError, ValueError):
        raise MalformedEvent("message without a numeric timestamp") from None


def _inbound_message(business: BusinessNumber, contacts: list, message: Any) -> InboundMessage:
    if not isinstance(message, dict) or not message.get("id") or not message.get("type"):
        raise MalformedEvent("message without id or type")
    return InboundMessage(
        business=business,
        customer=_customer(contacts, message.get("from"), message.get("from_user_id")),
        message_id=str(message["id"]),
        timestamp=_timestamp(message),
        type=str(message["type"]),
        body=message,
    )


def _delivery_status(business: BusinessNumber, contacts: list, status: Any) -> DeliveryStatus:
    if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
        raise MalformedEvent("status without id or status")
    return DeliveryStatus(
        business=business,
        customer=_customer(contacts, status.get("recipient_id"), status.get("recipient_user_id")),
        message_id=str(status["id"]),
        timestamp=_timestamp(status),
        status=str(status["status"]),
        body=status,
    )


def text_message(to: str, body: str) -> dict:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "text", "text": {"body": body, "preview_url": "http" in body}}


def read_receipt(message_id: str) -> dict:
    return {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}


def reaction_message(to: str, message_id: str, emoji: str) -> dict:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "reaction", "reaction": {"message_id": message_id, "emoji": emoji}}


def media_message(to: str, kind: str, media_id: str, *, filename: str | None = None,
                  caption: str | None = None) -> dict:
    media: dict[str, str] = {"id": media_id}
    if kind == "document" and filename:
        media["filename"] = filename
    if caption and kind in ("image", "video", "document"):
        media["caption"] = caption
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": kind, kind: media}
