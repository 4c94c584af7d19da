"""The inbound buffer: one item per WhatsApp message, read back through the table's stream.

Items are keyed by conversation and by WhatsApp timestamp and message id, so a redelivered SNS
message lands on the same key and is written once. Items are never deleted by the bridge: they
expire through TTL, which keeps that duplicate check alive for the whole retention time.

A waiting conversation is retried through the same stream: a retry item (a "nudge") in its
partition reaches the flush in order with the conversation's own messages, so a retry never runs
beside another delivery of the same conversation.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from .tables import S, Table, from_attributes, to_attributes
from .whatsapp import BusinessNumber, Customer, DeliveryStatus, InboundMessage, Notification

BUFFER_RETENTION_SECONDS = 24 * 3600
KIND_MESSAGE = "message"
KIND_FAILED_STATUS = "failed_status"
KIND_RETRY = "retry"
# A retry item only has to reach the stream; it is not read back.
RETRY_ITEM_SECONDS = 3600
# BatchGetItem reads at most 100 keys a call.
BATCH_GET_LIMIT = 100


class MalformedRecord(ValueError):
    """A stream record that is not a buffered WhatsApp entry."""


@dataclass(frozen=True)
class BufferedEntry:
    sequence_number: str
    conversation_id: str
    message_key: str
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


@dataclass(frozen=True)
class Nudge:
    """A waiting conversation is to be tried again (waiting.py)."""

    sequence_number: str
    conversation_id: str


def nudge_item(conversation_id: str, now: float, purpose: str) -> dict[str, Any]:
    return {"conversationId": conversation_id, "messageKey": f"{KIND_RETRY}#{now:.6f}#{purpose}",
            "kind": KIND_RETRY, "expiresAt": int(now) + RETRY_ITEM_SECONDS}


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
        "wabaId": notification.business.waba_id,
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


def put_once(table: Table, item: dict[str, Any]) -> bool:
    """Write the item unless its key is already buffered; False means it was a redelivery."""
    return table.put_if(Item=to_attributes(item), ConditionExpression="attribute_not_exists(messageKey)")


def put_nudge(table: Table, conversation_id: str, now: float, purpose: str) -> None:
    table.client.put_item(TableName=table.name,
                          Item=to_attributes(nudge_item(conversation_id, now, purpose)))


def decode_stream_record(record: dict) -> BufferedEntry | Nudge:
    try:
        values = from_attributes(record["dynamodb"]["NewImage"])
        sequence_number = str(record["dynamodb"]["SequenceNumber"])
        if values.get("kind") == KIND_RETRY:
            return Nudge(sequence_number, _text_fields(values, "conversationId")["conversationId"])
        return _entry(values, sequence_number)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MalformedRecord(f"stream record is not a buffered entry: {error!r}") from None


def get_entries(table: Table, conversation_id: str,
                message_keys: Sequence[str]) -> dict[str, BufferedEntry]:
    """Buffered entries by key, read back for a retry that lacks them in its batch; an entry read
    this way has no stream position, so it sorts by timestamp alone."""
    found: dict[str, BufferedEntry] = {}
    for start in range(0, len(message_keys), BATCH_GET_LIMIT):
        request = {table.name: {"ConsistentRead": True, "Keys": [
            {"conversationId": S(conversation_id), "messageKey": S(key)}
            for key in message_keys[start:start + BATCH_GET_LIMIT]]}}
        while request:
            response = table.client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table.name, []):
                try:
                    entry = _entry(from_attributes(item), "0")
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue  # a malformed item was skipped when it was first flushed
                found[entry.message_key] = entry
            request = response.get("UnprocessedKeys") or None
    return found


def _entry(values: dict[str, Any], sequence_number: str) -> BufferedEntry:
    text = _text_fields(values, "conversationId", "messageKey", "kind", "messageId", "phoneNumberId",
                        "originationId", "customerId", "customerName")
    optional = {name: values[name] for name in ("displayPhoneNumber", "wabaId", "customerWaId",
                                                "customerUserId")
                if values.get(name) is not None}
    if any(not isinstance(value, str) for value in optional.values()):
        raise TypeError("an optional field is not text")
    return BufferedEntry(
        sequence_number=sequence_number,
        conversation_id=text["conversationId"],
        message_key=text["messageKey"],
        kind=text["kind"],
        message_id=text["messageId"],
        timestamp=int(values["timestamp"]),
        business=BusinessNumber(
            meta_phone_number_id=text["phoneNumberId"],
            origination_id=text["originationId"],
            display_phone_number=optional.get("displayPhoneNumber", ""),
            waba_id=optional.get("wabaId", ""),
        ),
        customer=Customer(
            customer_id=text["customerId"],
            wa_id=optional.get("customerWaId"),
            user_id=optional.get("customerUserId"),
            name=text["customerName"],
        ),
        body=_json_object(values["body"]),
    )


def _text_fields(values: dict[str, Any], *names: str) -> dict[str, str]:
    """The named attributes, each a non-empty string, or TypeError: a record that says otherwise
    was not written by on_whatsapp_event."""
    fields = {name: values[name] for name in names}
    wrong = [name for name, value in fields.items() if not isinstance(value, str) or not value]
    if wrong:
        raise TypeError(f"not text: {wrong}")
    return fields


def _json_object(document: str) -> dict:
    body = json.loads(document)
    if not isinstance(body, dict):
        raise TypeError("the buffered body is not a JSON object")
    return body


def is_buffered_notification(notification: Notification) -> bool:
    """Delivery statuses other than failures only confirm what already happened."""
    return isinstance(notification, InboundMessage) or (
        isinstance(notification, DeliveryStatus) and notification.status == "failed")
