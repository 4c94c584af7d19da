"""The inbound buffer: one item per WhatsApp message, read back through the table's stream.

Items are keyed by conversation and by WhatsApp timestamp and message id, so a redelivered SNS
message lands on the same key and is written once. Items are never deleted by the bridge: they
expire through TTL, which keeps that duplicate check alive for the whole retention time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .items import from_attributes, to_attributes
from .whatsapp import BusinessNumber, Customer, DeliveryStatus, InboundMessage, Notification

BUFFER_RETENTION_SECONDS = 24 * 3600
KIND_MESSAGE = "message"
KIND_FAILED_STATUS = "failed_status"


class MalformedRecord(ValueError):
    """A stream record that is not a buffered WhatsApp entry."""


@dataclass(frozen=True)
class BufferedEntry:
    sequence_number: str
    conversation_id: str
    kind: str
    message_id: str
    timestamp: int
    business: BusinessNumber
    customer: Customer
    body: dict

    @property
    def order(self) -> tuple[int, int]:
        # WhatsApp timestamps have one-second resolution; arrival breaks the ties.
        return (self.timestamp, int(self.sequence_number))


def buffer_item(notification: Notification, now: float) -> dict[str, Any]:
    kind = KIND_MESSAGE if isinstance(notification, InboundMessage) else KIND_FAILED_STATUS
    suffix = "" if kind == KIND_MESSAGE else "#failed"
    item = {
        "conversationId": notification.conversation_id,
        "messageKey": f"{notification.timestamp:012d}#{notification.message_id}{suffix}",
        "kind": kind,
        "messageId": notification.message_id,
        "timestamp": notification.timestamp,
        "phoneNumberId": notification.business.meta_phone_number_id,
        "originationId": notification.business.origination_id,
        "displayPhoneNumber": notification.business.display_phone_number,
        "customerId": notification.customer.customer_id,
        "customerName": notification.customer.name,
        "body": json.dumps(notification.body, ensure_ascii=False),
        "receivedAt": int(now),
        "expiresAt": int(now) + BUFFER_RETENTION_SECONDS,
    }
    if notification.customer.wa_id:
        item["customerWaId"] = notification.customer.wa_id
    if notification.customer.user_id:
        item["customerUserId"] = notification.customer.user_id
    return item


def put_once(dynamodb: Any, table_name: str, item: dict[str, Any]) -> bool:
    """Write the item unless its key is already buffered; False means it was a redelivery."""
    try:
        dynamodb.put_item(
            TableName=table_name,
            Item=to_attributes(item),
            ConditionExpression="attribute_not_exists(messageKey)",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def decode_stream_record(record: dict) -> BufferedEntry:
    try:
        image = record["dynamodb"]["NewImage"]
        values = from_attributes(image)
        return BufferedEntry(
            sequence_number=str(record["dynamodb"]["SequenceNumber"]),
            conversation_id=values["conversationId"],
            kind=values["kind"],
            message_id=values["messageId"],
            timestamp=int(values["timestamp"]),
            business=BusinessNumber(
                meta_phone_number_id=values["phoneNumberId"],
                origination_id=values["originationId"],
                display_phone_number=values.get("displayPhoneNumber", ""),
            ),
            customer=Customer(
                customer_id=values["customerId"],
                wa_id=values.get("customerWaId"),
                user_id=values.get("customerUserId"),
                name=values["customerName"],
            ),
            body=_json_object(values["body"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedRecord(f"stream record is not a buffered entry: {error!r}") from None


def _json_object(document: str) -> dict:
    body = json.loads(document)
    if not isinstance(body, dict):
        raise TypeError("the buffered body is not a JSON object")
    return body


def is_buffered_notification(notification: Notification) -> bool:
    """Delivery statuses other than failures only confirm what already happened."""
    return isinstance(notification, InboundMessage) or (
        isinstance(notification, DeliveryStatus) and notification.status == "failed")
