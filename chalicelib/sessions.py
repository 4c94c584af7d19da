"""The sessions table: which Connect chat serves which WhatsApp conversation.

A session item is keyed by the Connect contact id (how outbound events find it) and carries the
customer id for the `customerId-index` (how inbound messages find it, in one eventually consistent
query). Beside it, a conversation item keyed `conversation#<id>` names the open contact; it is
written in the same transaction as the session under a condition, so one conversation can never
hold two open chats, and it gives the rare new-chat path a strongly consistent check.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from .items import from_attributes, to_attribute, to_attributes

CUSTOMER_INDEX = "customerId-index"
CHANNEL = "WHATSAPP"
STATUS_OPEN = "open"
STATUS_CLOSED = "closed"
# A closed session stays readable for a while so the disconnect flow's goodbye still goes out.
CLOSED_SESSION_GRACE_SECONDS = 3600
SESSION_EXPIRY_MARGIN_SECONDS = 24 * 3600
DELIVERED_IDS_KEPT = 100
SENT_SNIPPETS_KEPT = 20


class ConversationBusy(Exception):
    """Another contact already holds the conversation; the caller should use that one."""


@dataclass(frozen=True)
class Session:
    contact_id: str
    conversation_id: str
    customer_id: str
    customer_wa_id: str | None
    customer_user_id: str | None
    name: str
    meta_phone_number_id: str
    system_number: str  # the origination id replies are sent from
    display_phone_number: str
    instance_id: str
    participant_id: str
    participant_token: str
    connection_token: str
    connection_expiry: str
    status: str = STATUS_OPEN
    created_at: int = 0
    expires_at: int = 0
    delivered_message_ids: tuple[str, ...] = ()
    sent_snippets: dict[str, str] = field(default_factory=dict)

    @property
    def customer_address(self) -> str:
        return self.customer_wa_id or self.customer_id

    def to_item(self) -> dict[str, Any]:
        item = {
            "contactId": self.contact_id,
            "conversationId": self.conversation_id,
            "customerId": self.customer_id,
            "name": self.name,
            "channel": CHANNEL,
            "phoneNumberId": self.meta_phone_number_id,
            "systemNumber": self.system_number,
            "displayPhoneNumber": self.display_phone_number,
            "instanceId": self.instance_id,
            "participantId": self.participant_id,
            "participantToken": self.participant_token,
            "connectionToken": self.connection_token,
            "connectionExpiry": self.connection_expiry,
            "sessionStatus": self.status,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
            "deliveredMessageIds": list(self.delivered_message_ids),
            "sentSnippets": dict(self.sent_snippets),
        }
        if self.customer_wa_id:
            item["customerWaId"] = self.customer_wa_id
        if self.customer_user_id:
            item["customerUserId"] = self.customer_user_id
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "Session":
        return cls(
            contact_id=item["contactId"],
            conversation_id=item["conversationId"],
            customer_id=item["customerId"],
            customer_wa_id=item.get("customerWaId"),
            customer_user_id=item.get("customerUserId"),
            name=item.get("name", ""),
            meta_phone_number_id=item.get("phoneNumberId", ""),
            system_number=item["systemNumber"],
            display_phone_number=item.get("displayPhoneNumber", ""),
            instance_id=item.get("instanceId", ""),
            participant_id=item.get("participantId", ""),
            participant_token=item.get("participantToken", ""),
            connection_token=item.get("connectionToken", ""),
            connection_expiry=item.get("connectionExpiry", ""),
            status=item.get("sessionStatus", STATUS_OPEN),
            created_at=int(item.get("createdAt", 0)),
            expires_at=int(item.get("expiresAt", 0)),
            delivered_message_ids=tuple(item.get("deliveredMessageIds", ())),
            sent_snippets=dict(item.get("sentSnippets", {})),
        )


def conversation_key(conversation_id: str) -> str:
    return f"conversation#{conversation_id}"


def session_expiry(now: float, chat_duration_minutes: int) -> int:
    return int(now) + chat_duration_minutes * 60 + SESSION_EXPIRY_MARGIN_SECONDS


def find_open(dynamodb: Any, table: str, conversation_id: str, customer_id: str) -> Session | None:
    """The open session of a conversation, from the customer index (one query)."""
    response = dynamodb.query(
        TableName=table,
        IndexName=CUSTOMER_INDEX,
        KeyConditionExpression="customerId = :customer",
        ExpressionAttributeValues={":customer": {"S": customer_id}},
    )
    sessions = [Session.from_item(from_attributes(item)) for item in response.get("Items", [])]
    open_sessions = [s for s in sessions
                     if s.conversation_id == conversation_id and s.status == STATUS_OPEN]
    return max(open_sessions, key=lambda s: s.created_at, default=None)


def find_open_consistent(dynamodb: Any, table: str, conversation_id: str) -> Session | None:
    """The open session through the conversation item, read strongly consistent."""
    pointer = dynamodb.get_item(
        TableName=table, Key={"contactId": {"S": conversation_key(conversation_id)}},
        ConsistentRead=True,
    ).get("Item")
    if not pointer:
        return None
    session = get(dynamodb, table, pointer["openContactId"]["S"])
    return session if session and session.status == STATUS_OPEN else None


def get(dynamodb: Any, table: str, contact_id: str) -> Session | None:
    item = dynamodb.get_item(
        TableName=table, Key={"contactId": {"S": contact_id}}, ConsistentRead=True,
    ).get("Item")
    if not item or "systemNumber" not in item:
        return None
    return Session.from_item(from_attributes(item))


def open_session(dynamodb: Any, table: str, session: Session,
                 replacing_contact_id: str | None = None) -> None:
    """Store a new session and claim its conversation; ConversationBusy if another chat holds it."""
    claim_condition = "attribute_not_exists(contactId)"
    values: dict[str, Any] = {}
    if replacing_contact_id:
        claim_condition += " OR openContactId = :replacing"
        values[":replacing"] = {"S": replacing_contact_id}
    claim: dict[str, Any] = {
        "TableName": table,
        "Item": to_attributes({
            "contactId": conversation_key(session.conversation_id),
            "openContactId": session.contact_id,
            "expiresAt": session.expires_at,
        }),
        "ConditionExpression": claim_condition,
    }
    if values:
        claim["ExpressionAttributeValues"] = values
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": claim},
            {"Put": {"TableName": table, "Item": to_attributes(session.to_item())}},
        ])
    except dynamodb.exceptions.TransactionCanceledException as error:
        reasons = error.response.get("CancellationReasons", [])
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            raise ConversationBusy(session.conversation_id) from None
        raise


def replace_connection(dynamodb: Any, table: str, session: Session, connection_token: str,
                       connection_expiry: str) -> Session:
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": session.contact_id}},
        UpdateExpression="SET connectionToken = :token, connectionExpiry = :expiry",
        ExpressionAttributeValues={":token": {"S": connection_token},
                                   ":expiry": {"S": connection_expiry}},
    )
    return replace(session, connection_token=connection_token, connection_expiry=connection_expiry)


def record_delivered(dynamodb: Any, table: str, session: Session,
                     message_ids: Iterable[str]) -> Session:
    """Remember which WhatsApp messages reached the chat, so a redelivered record is skipped."""
    delivered = (tuple(session.delivered_message_ids) + tuple(message_ids))[-DELIVERED_IDS_KEPT:]
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": session.contact_id}},
        UpdateExpression="SET deliveredMessageIds = :ids",
        ConditionExpression="attribute_exists(contactId)",
        ExpressionAttributeValues={":ids": to_attribute(list(delivered))},
    )
    return replace(session, delivered_message_ids=delivered)


def record_sent(dynamodb: Any, table: str, session: Session, whatsapp_message_id: str,
                snippet: str) -> None:
    """Keep a short memory of what the agent sent, so a customer's reaction can name it."""
    snippets = dict(list(session.sent_snippets.items())[-(SENT_SNIPPETS_KEPT - 1):])
    snippets[whatsapp_message_id] = snippet
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": session.contact_id}},
        UpdateExpression="SET sentSnippets = :snippets",
        ConditionExpression="attribute_exists(contactId)",
        ExpressionAttributeValues={":snippets": to_attribute(snippets)},
    )


def close(dynamodb: Any, table: str, session: Session, now: float | None = None) -> None:
    """End the session: the conversation is free for a new chat; the item lingers for the goodbye."""
    now = time.time() if now is None else now
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": session.contact_id}},
        UpdateExpression=("SET sessionStatus = :closed, expiresAt = :expires "
                          "REMOVE connectionToken, participantToken"),
        ConditionExpression="attribute_exists(contactId)",
        ExpressionAttributeValues={":closed": {"S": STATUS_CLOSED},
                                   ":expires": {"N": str(int(now) + CLOSED_SESSION_GRACE_SECONDS)}},
    )
    try:
        dynamodb.delete_item(
            TableName=table,
            Key={"contactId": {"S": conversation_key(session.conversation_id)}},
            ConditionExpression="openContactId = :contact",
            ExpressionAttributeValues={":contact": {"S": session.contact_id}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass  # a newer chat already holds the conversation
