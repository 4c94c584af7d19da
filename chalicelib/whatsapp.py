"""The WhatsApp wire format: inbound webhooks parsed into notifications, outbound payloads built."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Union

WHATSAPP_TEXT_MAX_CHARS = 4096
PROFILE_NAME_FALLBACK = "WhatsApp customer"
PROFILE_NAME_MAX_CHARS = 256
# Ids become parts of the buffer table's keys (DynamoDB allows 1,024 bytes of sort key); real
# ones are well under 100.
IDENTIFIER_MAX_BYTES = 256
ARN_MAX_CHARS = 2048
WORD_MAX_CHARS = 64  # a message type or a status name
# A wa_id is the phone number's digits; a business-scoped user id is a country code, a period and
# alphanumerics (`US.13491208655302741918`, a parent one `US.ENT.…`), so it is never all digits.
_PHONE_NUMBER = re.compile(r"^\+?[0-9]+$")


class MalformedEvent(ValueError):
    """The event is not an End User Messaging Social WhatsApp notification this bridge understands."""


@dataclass(frozen=True)
class BusinessNumber:
    meta_phone_number_id: str
    origination_id: str  # what SendWhatsAppMessage takes: the phone-number-id ARN
    display_phone_number: str
    # The WhatsApp business account's ARN, which ListWhatsAppMessageTemplates takes; "" when the
    # event context does not name it.
    waba_id: str = ""


@dataclass(frozen=True)
class Customer:
    """A WhatsApp user as a webhook names them: by phone number (`wa_id`), by business-scoped user
    id (`user_id`, the BSUID), or both. Which one keys their conversation: chalicelib/identities.py."""

    customer_id: str  # the business-scoped user id when the webhook carries one, else wa_id
    wa_id: str | None
    user_id: str | None
    name: str

    @property
    def address(self) -> str:
        """Whom a message goes to: the phone number when known (Meta recommends it), else the
        business-scoped user id; recipient_fields says which field carries it."""
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


@dataclass(frozen=True)
class SkippedItem:
    """A message or status (or a whole change) of the webhook that was refused, and why.

    `message_id` is set only when the item carried a usable WhatsApp id; `where` locates the item
    in the webhook (`changes[0].messages[1]`), so an operator can find it without its content.
    """

    where: str
    reason: str
    message_id: str | None = None


@dataclass(frozen=True)
class ParsedWebhook:
    notifications: list[Notification]
    skipped: list[SkippedItem]


class _Refused(Exception):
    """One item of the webhook cannot be used; its neighbours still can."""


def parse_notification(sns_message: str) -> ParsedWebhook:
    """Turn one End User Messaging Social SNS message into the messages and statuses it carries.

    Each message and status stands on its own: a malformed one is refused (listed in `skipped`
    with the reason) and its neighbours are kept. Only an envelope that names no webhook or no
    business number at all is a MalformedEvent.
    """
    envelope = _json_object(sns_message, "the SNS message")
    entry = envelope.get("whatsAppWebhookEntry")
    # End User Messaging Social sends the webhook entry as a JSON string; an object means the same.
    entry = entry if isinstance(entry, dict) else _json_object(entry, "whatsAppWebhookEntry")
    context = envelope.get("context")
    phone_numbers = _business_numbers(context.get("MetaPhoneNumberIds") if isinstance(context, dict)
                                      else None)
    waba_id = _waba_arn(context.get("MetaWabaIds") if isinstance(context, dict) else None,
                        entry.get("id"))
    changes = entry.get("changes")
    if not isinstance(changes, list):
        raise MalformedEvent("the webhook entry has no list of changes")
    parsed = ParsedWebhook([], [])
    for change_index, change in enumerate(changes):
        where = f"changes[{change_index}]"
        value = change.get("value") if isinstance(change, dict) else None
        if not isinstance(value, dict):
            parsed.skipped.append(SkippedItem(where, "webhook change without a value object"))
            continue
        business = _business_number(value.get("metadata"), phone_numbers, waba_id)
        contacts = [c for c in _list(value.get("contacts")) if isinstance(c, dict)]
        for kind, parse in (("messages", _inbound_message), ("statuses", _delivery_status)):
            items = value.get(kind)
            if items is not None and not isinstance(items, list):
                parsed.skipped.append(SkippedItem(f"{where}.{kind}", f"{kind} is not a list"))
                continue
            for index, raw in enumerate(items or []):
                try:
                    parsed.notifications.append(parse(business, contacts, raw))
                except _Refused as refused:
                    parsed.skipped.append(SkippedItem(f"{where}.{kind}[{index}]", str(refused),
                                                      _usable_message_id(raw)))
    return parsed


def _json_object(document: Any, what: str) -> dict:
    if not isinstance(document, (str, bytes, bytearray)):
        raise MalformedEvent(f"{what} is not a JSON document")
    try:
        parsed = json.loads(document)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        raise MalformedEvent(f"{what} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise MalformedEvent(f"{what} is not a JSON object")
    return parsed


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _identifier(value: Any, what: str) -> str | None:
    """A WhatsApp or Meta id (wamid, wa_id, user id, phone-number id) as a string, or None when
    absent. A whole number is taken as its digits; a float is refused, because a phone number
    that went through a float may already have lost digits (and prints as 1.5550100001e10)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str):
        raise _Refused(f"{what} is a {type(value).__name__}, not a string")
    if len(value.encode("utf-8", "surrogatepass")) > IDENTIFIER_MAX_BYTES:
        raise _Refused(f"{what} is longer than {IDENTIFIER_MAX_BYTES} bytes")
    return value


def _optional_identifier(value: Any) -> str | None:
    try:
        return _identifier(value, "id")
    except _Refused:
        return None


def _usable_message_id(raw: Any) -> str | None:
    return _optional_identifier(raw.get("id")) if isinstance(raw, dict) else None


def _business_numbers(numbers: Any) -> list[tuple[str | None, str]]:
    """(Meta phone-number id, ARN) of each business number the event context names."""
    usable = []
    for number in _list(numbers):
        if not isinstance(number, dict):
            continue
        arn = number.get("arn")
        if isinstance(arn, str) and arn and len(arn) <= ARN_MAX_CHARS:
            usable.append((_optional_identifier(number.get("metaPhoneNumberId")), arn))
    if not usable:
        raise MalformedEvent("event context names no business phone number")
    return usable


def _waba_arn(wabas: Any, entry_id: Any) -> str:
    """The ARN of the account the webhook entry belongs to (the entry's id is its Meta WABA id);
    the context's first account when none matches."""
    usable = [(w.get("wabaId"), w["arn"]) for w in _list(wabas) if isinstance(w, dict)
              and isinstance(w.get("arn"), str) and 0 < len(w["arn"]) <= ARN_MAX_CHARS]
    return next((arn for waba, arn in usable if waba == entry_id), usable[0][1] if usable else "")


def _business_number(metadata: Any, phone_numbers: list[tuple[str | None, str]],
                     waba_id: str) -> BusinessNumber:
    # The metadata only says which of the context's numbers was written to; without it (or with
    # one that is not an object) the context's first number is the one, as when it is absent.
    metadata = metadata if isinstance(metadata, dict) else {}
    meta_id = _optional_identifier(metadata.get("phone_number_id"))
    chosen_id, arn = next(((i, a) for i, a in phone_numbers if i is not None and i == meta_id),
                          phone_numbers[0])
    display = metadata.get("display_phone_number")
    if isinstance(display, int) and not isinstance(display, bool):
        display = str(display)
    return BusinessNumber(
        meta_phone_number_id=meta_id or chosen_id or "",
        origination_id=arn,
        # Shown to agents only; anything that cannot be a phone number is left out.
        display_phone_number=display if isinstance(display, str) and len(display) <= 32 else "",
        waba_id=waba_id,
    )


def _customer(contacts: list[dict], wa_id: Any, user_id: Any) -> Customer:
    wa_id = _identifier(wa_id, "the customer's phone number")
    user_id = _identifier(user_id, "the customer's user id")
    contact = next(
        (c for c in contacts
         if (wa_id and _optional_identifier(c.get("wa_id")) == wa_id)
         or (user_id and _optional_identifier(c.get("user_id")) == user_id)),
        contacts[0] if len(contacts) == 1 else {},
    )
    wa_id = wa_id or _optional_identifier(contact.get("wa_id"))
    user_id = user_id or _optional_identifier(contact.get("user_id"))
    customer_id = user_id or wa_id
    if not customer_id:
        raise _Refused("no customer id (wa_id or user_id)")
    return Customer(customer_id=customer_id, wa_id=wa_id, user_id=user_id,
                    name=_profile_name(contact.get("profile")))


def _profile_name(profile: Any) -> str:
    name = profile.get("name") if isinstance(profile, dict) else None
    if isinstance(name, (int, float)) and not isinstance(name, bool):
        name = str(name)  # a customer may well call themselves 42
    name = name.strip() if isinstance(name, str) else ""
    # Connect takes display names up to 256 characters.
    return name[:PROFILE_NAME_MAX_CHARS].strip() or PROFILE_NAME_FALLBACK


def _timestamp(raw: dict) -> int:
    value = raw.get("timestamp")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10 ** 12:
        # The buffer's sort key holds it as 12 digits.
        raise _Refused("no timestamp in whole seconds")
    return value


def _word(raw: dict, key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value or len(value) > WORD_MAX_CHARS:
        raise _Refused(f"no {key}")
    return value


def _inbound_message(business: BusinessNumber, contacts: list[dict], message: Any) -> InboundMessage:
    if not isinstance(message, dict):
        raise _Refused("the message is not an object")
    message_id = _identifier(message.get("id"), "the message id")
    if not message_id:
        raise _Refused("message without an id")
    return InboundMessage(
        business=business,
        customer=_customer(contacts, message.get("from"), message.get("from_user_id")),
        message_id=message_id,
        timestamp=_timestamp(message),
        type=_word(message, "type"),
        body=message,
    )


def _delivery_status(business: BusinessNumber, contacts: list[dict], status: Any) -> DeliveryStatus:
    if not isinstance(status, dict):
        raise _Refused("the status is not an object")
    message_id = _identifier(status.get("id"), "the status's message id")
    if not message_id:
        raise _Refused("status without a message id")
    return DeliveryStatus(
        business=business,
        customer=_customer(contacts, status.get("recipient_id"), status.get("recipient_user_id")),
        message_id=message_id,
        timestamp=_timestamp(status),
        status=_word(status, "status"),
        body=status,
    )


def is_phone_number(address: str) -> bool:
    return bool(_PHONE_NUMBER.match(address))


def recipient_fields(to: str) -> dict:
    """Whom a message is for, as Meta's Messages API takes it: a phone number in `to`, a
    business-scoped user id in `recipient` and no `to` (Meta, *Business-scoped user IDs*;
    docs/reference/WHATSAPP_PAYLOADS.md §7)."""
    field_name = "to" if is_phone_number(to) else "recipient"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", field_name: to}


def text_message(to: str, body: str) -> dict:
    return {**recipient_fields(to), "type": "text",
            "text": {"body": body, "preview_url": "http" in body}}


def interactive_message(to: str, interactive: dict) -> dict:
    return {**recipient_fields(to), "type": "interactive", "interactive": interactive}


def read_receipt(message_id: str) -> dict:
    return {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}


def typing_indicator(message_id: str) -> dict:
    """Marks the message read and shows the customer that the business is typing, until the reply
    or for 25 seconds (docs/reference/WHATSAPP_PAYLOADS.md)."""
    return {**read_receipt(message_id), "typing_indicator": {"type": "text"}}


def with_callback_data(payload: dict, data: str) -> dict:
    """Meta echoes `biz_opaque_callback_data` in the message's status webhooks (up to 512
    characters; not for reactions), so a status can name what the message was sent for."""
    return {**payload, "biz_opaque_callback_data": data}


def reaction_message(to: str, message_id: str, emoji: str) -> dict:
    return {**recipient_fields(to), "type": "reaction",
            "reaction": {"message_id": message_id, "emoji": emoji}}


def media_message(to: str, kind: str, media_id: str, *, filename: str | None = None,
                  caption: str | None = None) -> dict:
    media: dict[str, str] = {"id": media_id}
    if kind == "document" and filename:
        media["filename"] = filename
    if caption and kind in ("image", "video", "document"):
        media["caption"] = caption
    return {**recipient_fields(to), "type": kind, kind: media}
