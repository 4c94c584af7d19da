"""WhatsApp through AWS End User Messaging Social: parse inbound webhooks, build and send messages."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Union

from botocore.exceptions import ClientError

WHATSAPP_TEXT_MAX_CHARS = 4096
PROFILE_NAME_FALLBACK = "WhatsApp customer"

# End User Messaging Social errors that another attempt cannot fix; the rest are throttling or
# service faults that botocore and Lambda retry.
PERMANENT_SEND_ERRORS = frozenset({
    "ValidationException", "InvalidParametersException", "AccessDeniedException",
    "AccessDeniedByMetaException", "ResourceNotFoundException",
})


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


def send(social_client: Any, origination_id: str, payload: dict, meta_api_version: str) -> str:
    response = social_client.send_whatsapp_message(
        originationPhoneNumberId=origination_id,
        message=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        metaApiVersion=meta_api_version,
    )
    return response.get("messageId", "")


def is_permanent_send_error(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in PERMANENT_SEND_ERRORS


@dataclass(frozen=True)
class StoredMedia:
    bucket: str
    key: str
    size: int


class MediaTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def fetch_media_to_s3(social_client: Any, s3_client: Any, *, origination_id: str, media_id: str,
                      bucket: str, prefix: str) -> StoredMedia:
    """GetWhatsAppMessageMedia into the media bucket under a prefix of this message's own.

    The service combines the prefix with a name of its choosing, so the object is found by listing
    the prefix rather than by guessing that name.
    """
    social_client.get_whatsapp_message_media(
        mediaId=media_id, originationPhoneNumberId=origination_id,
        destinationS3File={"bucketName": bucket, "key": prefix})
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=2)
    objects = listing.get("Contents") or []
    if len(objects) != 1:
        raise MalformedEvent(f"expected one media object under the prefix, found {len(objects)}")
    return StoredMedia(bucket, objects[0]["Key"], int(objects[0]["Size"]))


def read_media(s3_client: Any, media: StoredMedia, max_bytes: int) -> bytes:
    if media.size > max_bytes:
        raise MediaTooLarge(media.size)
    return s3_client.get_object(Bucket=media.bucket, Key=media.key)["Body"].read()


def post_media(social_client: Any, s3_client: Any, *, origination_id: str, bucket: str, key: str,
               data: bytes, mime_type: str) -> str:
    """Stage the file in the media bucket and register it with WhatsApp; returns the media id."""
    s3_client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=mime_type)
    response = social_client.post_whatsapp_message_media(
        originationPhoneNumberId=origination_id, sourceS3File={"bucketName": bucket, "key": key})
    return response["mediaId"]


def media_message(to: str, kind: str, media_id: str, *, filename: str | None = None,
                  caption: str | None = None) -> dict:
    media: dict[str, str] = {"id": media_id}
    if kind == "document" and filename:
        media["filename"] = filename
    if caption and kind in ("image", "video", "document"):
        media["caption"] = caption
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": kind, kind: media}
