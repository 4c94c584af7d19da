"""The sessions table: which Connect chat serves which WhatsApp conversation.

Two kinds of item:
- a **session** per chat, keyed by the Connect contact id: how outbound events find the chat,
  and the record of each agent message's sending (claims.py's protocol);
- a **conversation** item keyed `conversation#<id>`: the open chat (a copy of its session), the
  chat before it, the WhatsApp ids already delivered, and the blocks of buffered messages that
  flush attempts set out to deliver. A flush reads it and appends its block in one write, so the
  hot path costs one DynamoDB call, strongly consistent, and a retried flush knows what a dead
  attempt may already have said (see delivery.py).

A new chat is stored in one transaction that claims the conversation under a condition, so a
conversation never holds two open chats.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Sequence

from botocore.exceptions import ClientError

from .aws_errors import TRANSACTION_CANCELED, condition_failed, error_code
from .tables import N, S, Table, from_attributes, to_attribute, to_attributes

if TYPE_CHECKING:  # annotations only: the table's module stays below Connect's and WhatsApp's
    from .config import ChatRouting
    from .connect import StartedChat
    from .whatsapp import BusinessNumber, Customer

CHANNEL = "WHATSAPP"
STATUS_OPEN = "open"
STATUS_CLOSED = "closed"
# A closed session stays readable for a while so the disconnect flow's goodbye still goes out.
CLOSED_SESSION_GRACE_SECONDS = 3600
SESSION_EXPIRY_MARGIN_SECONDS = 24 * 3600
# Buffered messages are redelivered for at most the buffer's retention: remember them as long.
CONVERSATION_MEMORY_SECONDS = 24 * 3600
# A conversation whose chat ended remembers it as long as Connect does: "Contact information
# remains available in Amazon Connect for 24 months, and then it is deleted" (API Reference,
# DescribeContact). Its next chat carries it (persistent chat) and counts it (previousChats).
PAST_CHAT_MEMORY_SECONDS = 730 * 24 * 3600
# A stream batch holds at most 100 records; retries and regrouping stay within it.
DELIVERED_IDS_KEPT = 100
# A customer may answer start_conversation's template days later: for a week the reply opens the
# campaign's chat, and the conversation item keeps the campaign as long.
CAMPAIGN_SECONDS = 7 * 24 * 3600


class ConversationBusy(Exception):
    """Another contact already holds the conversation."""


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
    # The ids of the chat part whose first chunk opened the chat as StartChatContact's message.
    opened_with: tuple[str, ...] = ()
    sent_snippets: dict[str, str] = field(default_factory=dict)
    # The Connect message each of those WhatsApp ids carried, for a status that comes back without
    # the callback data naming it (agent_receipts.py); None on a session stored before the bridge kept it.
    sent_messages: dict[str, str] | None = field(default_factory=dict)
    # Blue ticks: which WhatsApp message each customer chat message carried (by Connect message
    # id), the newest one, the newest one nobody has read yet, and the opening message's WhatsApp
    # id until Connect's echo names its chat message.
    customer_messages: dict[str, str] = field(default_factory=dict)
    last_customer_message_id: str = ""
    unread_message_id: str = ""
    opening_message_id: str = ""
    # WhatsApp's 24-hour window: the WhatsApp timestamp of the customer's newest message in this
    # chat (0: not known, as for a chat opened before the bridge kept it), and the one whose
    # closing the agent was warned of.
    customer_wrote_at: int = 0
    window_warned_for: int = 0
    # The customer message whose window's closing the agent was told of with the templates listed.
    window_closed_told_for: int = 0
    waba_id: str = ""

    @classmethod
    def opened(cls, chat: StartedChat, routing: ChatRouting, conversation_id: str,
               customer: Customer, business: BusinessNumber, now: float, *, customer_wrote_at: int,
               opened_with: tuple[str, ...] = (), opening_message_id: str = "") -> Session:
        """The session of a chat StartChatContact has just opened for a conversation."""
        return cls(
            contact_id=chat.contact_id, conversation_id=conversation_id,
            customer_id=customer.customer_id, customer_wa_id=customer.wa_id,
            customer_user_id=customer.user_id, name=customer.name,
            meta_phone_number_id=business.meta_phone_number_id,
            system_number=business.origination_id,
            display_phone_number=business.display_phone_number, waba_id=business.waba_id,
            instance_id=routing.instance_id, participant_id=chat.participant_id,
            participant_token=chat.participant_token, connection_token=chat.connection_token,
            connection_expiry=chat.connection_expiry, created_at=int(now),
            expires_at=session_expiry(now, routing.chat_duration_minutes),
            opened_with=opened_with, opening_message_id=opening_message_id,
            customer_wrote_at=customer_wrote_at)

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
            "openedWith": list(self.opened_with),
            "sentSnippets": dict(self.sent_snippets),
            "sentMessages": dict(self.sent_messages or {}),
            "customerMessages": dict(self.customer_messages),
        }
        optional = {"lastCustomerMessageId": self.last_customer_message_id,
                    "unreadMessageId": self.unread_message_id,
                    "openingMessageId": self.opening_message_id,
                    "customerWroteAt": self.customer_wrote_at,
                    "windowWarnedFor": self.window_warned_for,
                    "windowClosedToldFor": self.window_closed_told_for,
                    "wabaId": self.waba_id}
        item |= {key: value for key, value in optional.items() if value}
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
            opened_with=tuple(item.get("openedWith", ())),
            sent_snippets=dict(item.get("sentSnippets", {})),
            sent_messages=dict(item["sentMessages"]) if "sentMessages" in item else None,
            customer_messages=dict(item.get("customerMessages", {})),
            last_customer_message_id=item.get("lastCustomerMessageId", ""),
            unread_message_id=item.get("unreadMessageId", ""),
            opening_message_id=item.get("openingMessageId", ""),
            customer_wrote_at=int(item.get("customerWroteAt", 0)),
            window_warned_for=int(item.get("windowWarnedFor", 0)),
            window_closed_told_for=int(item.get("windowClosedToldFor", 0)),
            waba_id=item.get("wabaId", ""),
        )


@dataclass(frozen=True)
class CustomerMessage:
    """A customer's message that reached the chat: when it was written (WhatsApp's 24-hour window
    runs from it) and, for the blue ticks the agent's reading sends, which WhatsApp message it was
    ("" when reading is not shown)."""

    contact_id: str
    wrote_at: int
    whatsapp_id: str
    connect_ids: tuple[str, ...]
    unread: bool


# The conversation item's wait for Connect (waiting.py writes them; a sparse index lists them).
WAIT_ATTRIBUTES = ("waitingRoom", "waitingSince", "nextAttemptAt", "waitAttempts", "waitReason",
                   "busyToldAt", "retryAskedAt")


@dataclass(frozen=True)
class Wait:
    """The conversation waits for Connect: since when, until when not to try again, how many
    attempts failed, why the last one did (failures.py), and whether the customer was told."""

    since: int
    next_attempt_at: int
    attempts: int
    reason: str
    busy_told: bool

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "Wait | None":
        if "waitingRoom" not in item:
            return None
        return cls(since=int(item.get("waitingSince", 0)),
                   next_attempt_at=int(item.get("nextAttemptAt", 0)),
                   attempts=int(item.get("waitAttempts", 0)), reason=item.get("waitReason", ""),
                   busy_told="busyToldAt" in item)


@dataclass(frozen=True)
class PastChats:
    """A conversation's chats that ended: how many, the last one's contact id (the one
    StartChatContact returned, which stays its initial contact id whatever transfers follow) and
    when it ended (0: before the bridge kept it)."""

    count: int = 0
    last_contact_id: str = ""
    last_ended_at: int = 0

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "PastChats":
        last = item.get("lastContactId", "")
        # A conversation that ended a chat before the bridge counted them has had one at least.
        return cls(count=max(int(item.get("chatsEnded", 0)), 1 if last else 0), last_contact_id=last,
                   last_ended_at=int(item.get("lastEndedAt", 0)))


@dataclass(frozen=True)
class Conversation:
    """What a flush attempt finds when it starts: written before it by earlier attempts."""

    open_session: Session | None
    delivered_ids: tuple[str, ...]
    # Each earlier, unfinished attempt's buffer keys, in the order the attempts began.
    earlier_blocks: tuple[tuple[str, ...], ...]
    # The template start_conversation sent, for the chat the customer's reply opens (see
    # conversation_start.py): its text, language, name, contact attributes and when it went out.
    campaign: dict[str, Any] | None = None
    wait: Wait | None = None
    # On a conversation keyed by phone number: the same customer's conversation under their
    # business-scoped user id, once a chat opened there (chalicelib/identities.py).
    user_conversation_id: str = ""
    past: PastChats = PastChats()

    @property
    def last_contact_id(self) -> str:
        return self.past.last_contact_id

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "Conversation":
        session = item.get("openSession")
        return cls(
            open_session=Session.from_item(session) if session else None,
            delivered_ids=tuple(item.get("deliveredMessageIds", ())),
            earlier_blocks=tuple(tuple(block) for block in item.get("attempts", ()) if block),
            campaign=item.get("campaign") if isinstance(item.get("campaign"), dict) else None,
            wait=Wait.from_item(item),
            user_conversation_id=item.get("userConversationId", ""),
            past=PastChats.from_item(item),
        )


def conversation_key(conversation_id: str) -> str:
    return f"conversation#{conversation_id}"


def _key(contact_id: str) -> dict[str, Any]:
    return {"contactId": S(contact_id)}


def session_expiry(now: float, chat_duration_minutes: int) -> int:
    return int(now) + chat_duration_minutes * 60 + SESSION_EXPIRY_MARGIN_SECONDS


def begin_delivery(table: Table, conversation_id: str, block: Sequence[str],
                   now: float) -> Conversation:
    """Read the conversation and record the buffer keys this attempt sets out to deliver, in one
    strongly consistent write; returns the conversation as it was before. A retry of a waiting
    conversation brings no keys of its own."""
    expression = "SET expiresAt = if_not_exists(expiresAt, :expires)"
    values = {":expires": N(now + CONVERSATION_MEMORY_SECONDS)}
    if block:
        expression += ", attempts = list_append(if_not_exists(attempts, :none), :block)"
        values |= {":none": {"L": []}, ":block": {"L": [to_attribute(list(block))]}}
    response = table.client.update_item(
        TableName=table.name, Key=_key(conversation_key(conversation_id)),
        UpdateExpression=expression, ExpressionAttributeValues=values, ReturnValues="ALL_OLD")
    return Conversation.from_item(from_attributes(response.get("Attributes") or {}))


def record_delivered(table: Table, conversation_id: str, delivered: Sequence[str],
                     finished: bool, customer_message: CustomerMessage | None = None) -> None:
    """Remember the WhatsApp ids that reached the chat; `finished` clears the attempts, every one
    of whose messages is now delivered, and ends the conversation's wait, if it waited. A
    customer's message is also noted on its session, in the same transaction, for the blue ticks."""
    expression = "SET deliveredMessageIds = :ids"
    values: dict[str, Any] = {":ids": to_attribute(list(delivered[-DELIVERED_IDS_KEPT:]))}
    if finished:
        expression += ", attempts = :none REMOVE " + ", ".join(WAIT_ATTRIBUTES)
        values[":none"] = {"L": []}
    conversation_update = {"TableName": table.name, "Key": _key(conversation_key(conversation_id)),
                           "UpdateExpression": expression, "ExpressionAttributeValues": values}
    if customer_message is None:
        table.client.update_item(**conversation_update)
        return
    # The window runs from the customer's newest message, and a message can reach the flush after
    # a newer one (a phone back online sends what it held): the session's newest-message
    # attributes may only move forwards. DynamoDB's update expressions have no max(), and a
    # ConditionExpression that fails cancels every item of a transaction, the delivery record
    # with it. So the transaction asks "not older than what the session holds"; when the session
    # refuses, the same transaction goes again without the newest-message attributes, and the
    # delivery record is written either way. In order, the common case, this costs the one
    # transaction it always did (a separate conditional update would cost every message a write).
    if table.transact_if([{"Update": conversation_update},
                          {"Update": _noted(table.name, customer_message, newest=True)}], item=1):
        return
    # An older message (or a session that is gone: then this fails as before).
    noted = _noted(table.name, customer_message, newest=False)
    if noted is None:
        table.client.update_item(**conversation_update)
        return
    table.client.transact_write_items(TransactItems=[
        {"Update": conversation_update}, {"Update": noted}])


def _noted(table: str, message: CustomerMessage, newest: bool) -> dict[str, Any] | None:
    """The session's note of a delivered customer message: which chat messages carried it, always;
    when `newest`, also when the customer wrote and which message is newest and unread, on the
    condition that the session holds no newer one."""
    assignments: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    condition = "attribute_exists(systemNumber)"
    if newest:
        values[":wrote"] = N(message.wrote_at)
        assignments.append("customerWroteAt = :wrote")
        condition += " AND (attribute_not_exists(customerWroteAt) OR customerWroteAt <= :wrote)"
    if message.whatsapp_id:
        values[":whatsapp"] = S(message.whatsapp_id)
        if newest:
            assignments.append("lastCustomerMessageId = :whatsapp")
            if message.unread:
                assignments.append("unreadMessageId = :whatsapp")
        for index, connect_id in enumerate(message.connect_ids):
            names[f"#chat{index}"] = connect_id
            assignments.append(f"customerMessages.#chat{index} = :whatsapp")
    if not assignments:  # an older message that no chat message names: nothing to note
        return None
    update: dict[str, Any] = {
        "TableName": table, "Key": _key(message.contact_id),
        "UpdateExpression": "SET " + ", ".join(assignments),
        "ConditionExpression": condition,
    }
    if values:
        update["ExpressionAttributeValues"] = values
    if names:
        update["ExpressionAttributeNames"] = names
    return update


def remember_campaign(table: Table, conversation_id: str, campaign: dict[str, Any],
                      now: float) -> bool:
    """The template start_conversation sent waits on the conversation item for the chat the
    customer's reply opens; False when a chat opened meanwhile, which keeps its own attributes.
    The item is kept a week at least; one remembered longer (a past chat) keeps its memory."""
    key = _key(conversation_key(conversation_id))
    values = {":campaign": to_attribute(campaign)}
    if table.update_if(
            Key=key, UpdateExpression="SET campaign = :campaign, expiresAt = :expires",
            ConditionExpression=("attribute_not_exists(openContactId) AND "
                                 "(attribute_not_exists(expiresAt) OR expiresAt < :expires)"),
            ExpressionAttributeValues=values | {":expires": N(now + CAMPAIGN_SECONDS)}) is not None:
        return True
    # A chat is open, or the item is kept longer than a week.
    return table.update_if(Key=key, UpdateExpression="SET campaign = :campaign",
                           ConditionExpression="attribute_not_exists(openContactId)",
                           ExpressionAttributeValues=values) is not None


def learn_opening_message(table: Table, contact_id: str, connect_id: str) -> bool:
    """Connect's echo of the chat's opening message names its chat message id, which
    StartChatContact does not return; False when the opening message is known already."""
    return table.update_if(
        Key=_key(contact_id),
        UpdateExpression="SET customerMessages.#chat = openingMessageId REMOVE openingMessageId",
        ConditionExpression="attribute_exists(openingMessageId)",
        ExpressionAttributeNames={"#chat": connect_id}) is not None


def mark_typing(table: Table, contact_id: str, now: float, every_seconds: int,
                window_opened_after: int) -> Session | None:
    """Note that the customer is shown the agent typing, at most once every `every_seconds`, and
    only while the customer's window is open (they wrote after `window_opened_after`, or when is
    not known): "typing…" that no message can follow would mislead them. The session when an
    indicator should go out now (its newest message counts as read)."""
    response = table.update_if(
        Key=_key(contact_id),
        UpdateExpression="SET typingAt = :now REMOVE unreadMessageId",
        ConditionExpression=("sessionStatus = :open AND attribute_exists(lastCustomerMessageId) "
                             "AND (attribute_not_exists(typingAt) OR typingAt <= :quiet) "
                             "AND (attribute_not_exists(customerWroteAt) "
                             "OR customerWroteAt > :opened)"),
        ExpressionAttributeValues={":now": N(now), ":open": S(STATUS_OPEN),
                                   ":quiet": N(int(now) - every_seconds),
                                   ":opened": N(window_opened_after)},
        ReturnValues="ALL_OLD")
    return Session.from_item(from_attributes(response["Attributes"])) if response else None


def mark_read(table: Table, contact_id: str, whatsapp_id: str) -> None:
    """Nothing is unread any more, unless a newer message arrived meanwhile."""
    table.update_if(Key=_key(contact_id), UpdateExpression="REMOVE unreadMessageId",
                    ConditionExpression="unreadMessageId = :read",
                    ExpressionAttributeValues={":read": S(whatsapp_id)})


def keep_snippet_as(table: Table, contact_id: str, whatsapp_id: str,
                    snippet: str) -> None:
    """A sent message's snippet under the WhatsApp id its statuses name, when that is not the id
    SendWhatsAppMessage returned: a reaction or quoted reply names the message by it."""
    table.update_if(
        Key=_key(contact_id), UpdateExpression="SET sentSnippets.#sent = :snippet",
        ConditionExpression="attribute_exists(systemNumber) AND attribute_exists(sentSnippets)",
        ExpressionAttributeNames={"#sent": whatsapp_id},
        ExpressionAttributeValues={":snippet": S(snippet)})


# A Connect message's sending, on its chat's session item (the claim protocol is claims.py's): a
# lock per message while one invocation sends it, the steps it has done, and, once sent, its id
# among the completed ones and what the WhatsApp ids it became carried.
COMPLETED_IDS = "completedMessageIds"
SENT_SNIPPETS_KEPT = 20


@dataclass(frozen=True)
class MessageSend:
    """What the session item says of one message's sending."""

    session: Session | None  # None: no session has the contact id
    steps_done: int
    locked_until: int
    # The chat's messages already sent.
    completed: frozenset[str]

    @classmethod
    def from_item(cls, item: dict[str, Any], message_id: str) -> MessageSend:
        return cls(session=Session.from_item(item) if "systemNumber" in item else None,
                   steps_done=int(item.get(_steps_attribute(message_id), 0)),
                   locked_until=int(item.get(_lock_attribute(message_id), 0)),
                   completed=frozenset(item.get(COMPLETED_IDS, ())))


def _lock_attribute(message_id: str) -> str:
    return f"lock#{message_id}"


def _steps_attribute(message_id: str) -> str:
    return f"steps#{message_id}"


def lock_message(table: Table, contact_id: str, message_id: str, until: int,
                 now: float) -> tuple[bool, MessageSend]:
    """Lock the message for sending until `until` and read its session, in one write, unless it
    was sent or another invocation's lock holds it; whether it was locked, and the item as the
    write found it (after it, when locked)."""
    try:
        response = table.client.update_item(
            TableName=table.name,
            Key=_key(contact_id),
            UpdateExpression="SET #lock = :until",
            ConditionExpression=("attribute_exists(systemNumber) AND NOT contains(#completed, :id) "
                                 "AND (attribute_not_exists(#lock) OR #lock < :now)"),
            ExpressionAttributeNames={"#lock": _lock_attribute(message_id),
                                      "#completed": COMPLETED_IDS},
            ExpressionAttributeValues={":until": N(until), ":now": N(now), ":id": S(message_id)},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not condition_failed(error):
            raise
        return False, MessageSend.from_item(from_attributes(error.response.get("Item") or {}),
                                            message_id)
    return True, MessageSend.from_item(from_attributes(response["Attributes"]), message_id)


def record_steps(table: Table, contact_id: str, message_id: str, steps: int) -> None:
    table.client.update_item(
        TableName=table.name,
        Key=_key(contact_id),
        UpdateExpression="SET #steps = :steps",
        ExpressionAttributeNames={"#steps": _steps_attribute(message_id)},
        ExpressionAttributeValues={":steps": N(steps)},
    )


def unlock_message(table: Table, contact_id: str, message_id: str) -> None:
    """Let the message's lock lapse at once, its steps kept."""
    table.client.update_item(
        TableName=table.name,
        Key=_key(contact_id),
        UpdateExpression="SET #lock = :expired",
        ExpressionAttributeNames={"#lock": _lock_attribute(message_id)},
        ExpressionAttributeValues={":expired": N(0)},
    )


def record_sent(table: Table, session: Session, message_id: str, sent: dict[str, str],
                window_told: dict[str, int] | None = None) -> None:
    """Mark the message sent, its lock and steps gone, and remember the WhatsApp ids it became
    (with a snippet, so a customer's reply or reaction can name it, and the Connect message, so
    a status can name it without its callback data), and what the agent was told of the window
    (`window_told`: session attribute -> the window's customer message time), in one write.
    `session`: as the lock read it. Sets make concurrent completions safe."""
    names = {"#completed": COMPLETED_IDS, "#lock": _lock_attribute(message_id),
             "#steps": _steps_attribute(message_id)}
    values: dict[str, Any] = {":id": {"SS": [message_id]}}
    assignments = []
    for index, (attribute, wrote_at) in enumerate((window_told or {}).items()):
        names[f"#told{index}"] = attribute
        values[f":told{index}"] = N(wrote_at)
        assignments.append(f"#told{index} = :told{index}")
    for index, (whatsapp_id, snippet) in enumerate(sent.items()):
        names[f"#sent{index}"] = whatsapp_id
        values[f":snippet{index}"] = S(snippet)
        assignments.append(f"sentSnippets.#sent{index} = :snippet{index}")
    if sent:
        assignments += _sent_messages(session, message_id, sent, values)
    # An agent whose reply went out has read what the customer wrote before (reading.read_on_reply).
    removals = ["#lock", "#steps"] + (["unreadMessageId"] if sent and session.unread_message_id else [])
    stale = list(session.sent_snippets)[:max(0, len(session.sent_snippets) + len(sent)
                                             - SENT_SNIPPETS_KEPT)]
    for index, whatsapp_id in enumerate(stale):
        names[f"#stale{index}"] = whatsapp_id
        removals.append(f"sentSnippets.#stale{index}")
    known = session.sent_messages or {}
    for index, whatsapp_id in enumerate(list(known)[:max(0, len(known) + len(sent) - SENT_SNIPPETS_KEPT)]):
        names[f"#old{index}"] = whatsapp_id
        removals.append(f"sentMessages.#old{index}")
    expression = "ADD #completed :id REMOVE " + ", ".join(removals)
    if assignments:
        expression = "SET " + ", ".join(assignments) + " " + expression
    table.client.update_item(
        TableName=table.name, Key=_key(session.contact_id),
        UpdateExpression=expression, ExpressionAttributeNames=names,
        ExpressionAttributeValues=values)


def _sent_messages(session: Session, message_id: str, sent: dict[str, str],
                   values: dict[str, Any]) -> list[str]:
    """The assignments that map each WhatsApp id (`#sent<n>`) to the Connect message it carried.
    A session stored before the bridge kept the map gets it whole (of two such completions at
    once, one's ids are kept)."""
    if session.sent_messages is None:
        values[":messages"] = {"M": {whatsapp_id: S(message_id) for whatsapp_id in sent}}
        return ["sentMessages = :messages"]
    values[":connect"] = S(message_id)
    return [f"sentMessages.#sent{index} = :connect" for index in range(len(sent))]


def open_session(table: Table, session: Session, sibling: str = "",
                 alias: bool = False, inherited: PastChats = PastChats()) -> None:
    """Store a new session and claim its conversation; ConversationBusy if another chat holds it,
    or holds the `sibling` conversation (the same customer under their other id: identities.py).
    With `alias`, the sibling (keyed by phone number) learns that the customer's chats now live
    under this conversation, and forgets its campaign, which belongs to the chat opened here.
    `inherited`: the sibling's past chats, which this conversation, having none, takes on.
    Storing the same session again (a retry) claims nothing new."""
    item = session.to_item()
    past_expression, past_values = _inherit(inherited)
    items: list[dict[str, Any]] = []
    if sibling:
        guard = {"TableName": table.name, "Key": _key(conversation_key(sibling)),
                 "ConditionExpression": "attribute_not_exists(openContactId) OR openContactId = :contact",
                 "ExpressionAttributeValues": {":contact": S(session.contact_id)}}
        if alias:
            guard["UpdateExpression"] = ("SET userConversationId = :own, expiresAt = :expires "
                                         "REMOVE campaign")
            guard["ExpressionAttributeValues"] |= {
                ":own": S(session.conversation_id), ":expires": N(session.expires_at)}
        items.append({"Update" if alias else "ConditionCheck": guard})
    if not table.transact_if([
            {"Update": {
                "TableName": table.name,
                "Key": _key(conversation_key(session.conversation_id)),
                # A template's campaign belongs to the one chat the customer's reply opens.
                "UpdateExpression": ("SET openContactId = :contact, openSession = :session, "
                                     f"expiresAt = :expires{past_expression} REMOVE campaign"),
                "ConditionExpression": "attribute_not_exists(openContactId) OR openContactId = :contact",
                "ExpressionAttributeValues": {
                    ":contact": S(session.contact_id),
                    ":session": to_attribute(item),
                    ":expires": N(session.expires_at),
                } | past_values,
            }},
            {"Put": {"TableName": table.name, "Item": to_attributes(item)}},
        ] + items):
        raise ConversationBusy(session.conversation_id)


def adopt(table: Table, session: Session, conversation_id: str,
          user_id: str, past: PastChats = PastChats()) -> Session | None:
    """Move an open chat to the customer's conversation under their business-scoped user id
    (identities.py), in one transaction: the old conversation lets it go and points at the new
    one, the new one holds it (and the old one's `past` chats, unless it has its own), the
    session names it. None when another flush moved, closed or replaced something first: the
    caller goes on as if there were no chat to adopt."""
    adopted = replace(session, conversation_id=conversation_id,
                      customer_user_id=session.customer_user_id or user_id)
    contact = {":contact": S(session.contact_id)}
    past_expression, past_values = _inherit(past)
    if not table.transact_if([
            {"Update": {
                "TableName": table.name, "Key": _key(conversation_key(session.conversation_id)),
                "UpdateExpression": "SET userConversationId = :to REMOVE openContactId, openSession",
                "ConditionExpression": "openContactId = :contact",
                "ExpressionAttributeValues": contact | {":to": S(conversation_id)}}},
            {"Update": {
                "TableName": table.name, "Key": _key(conversation_key(conversation_id)),
                "UpdateExpression": ("SET openContactId = :contact, openSession = :session, "
                                     f"expiresAt = :expires{past_expression}"),
                "ConditionExpression": "attribute_not_exists(openContactId)",
                "ExpressionAttributeValues": contact | past_values | {
                    ":session": to_attribute(adopted.to_item()),
                    ":expires": N(session.expires_at)}}},
            {"Update": {
                "TableName": table.name, "Key": _key(session.contact_id),
                "UpdateExpression": "SET conversationId = :to, customerUserId = :user",
                "ConditionExpression": "attribute_exists(systemNumber)",
                "ExpressionAttributeValues": {":to": S(conversation_id),
                                              ":user": S(adopted.customer_user_id or user_id)}}},
    ]):
        return None
    return adopted


def _inherit(past: PastChats) -> tuple[str, dict[str, Any]]:
    """The assignments that give a conversation another's past chats, unless it has its own."""
    if not past.count:
        return "", {}
    return (", chatsEnded = if_not_exists(chatsEnded, :chats), "
            "lastContactId = if_not_exists(lastContactId, :last), "
            "lastEndedAt = if_not_exists(lastEndedAt, :ended)",
            {":chats": N(past.count), ":last": S(past.last_contact_id),
             ":ended": N(past.last_ended_at)})


def get(table: Table, contact_id: str) -> Session | None:
    item = table.client.get_item(TableName=table.name, Key=_key(contact_id),
                                 ConsistentRead=True).get("Item")
    if not item or "systemNumber" not in item:
        return None
    return Session.from_item(from_attributes(item))


def get_conversation(table: Table, conversation_id: str) -> Conversation:
    """The conversation as it is now (empty when nothing was ever said in it)."""
    item = table.client.get_item(TableName=table.name, Key=_key(conversation_key(conversation_id)),
                                 ConsistentRead=True).get("Item")
    return Conversation.from_item(from_attributes(item or {}))


def find_open(table: Table, conversation_id: str) -> Session | None:
    return get_conversation(table, conversation_id).open_session


def replace_connection(table: Table, session: Session, connection_token: str,
                       connection_expiry: str) -> Session:
    """The renewed token goes to the session and to the conversation's copy of it."""
    values = {":token": S(connection_token), ":expiry": S(connection_expiry)}
    table.client.update_item(
        TableName=table.name, Key=_key(session.contact_id),
        UpdateExpression="SET connectionToken = :token, connectionExpiry = :expiry",
        ExpressionAttributeValues=values)
    # Refused when the conversation has moved on to another chat.
    table.update_if(
        Key=_key(conversation_key(session.conversation_id)),
        UpdateExpression=("SET openSession.connectionToken = :token, "
                          "openSession.connectionExpiry = :expiry"),
        ConditionExpression="openContactId = :contact",
        ExpressionAttributeValues=values | {":contact": S(session.contact_id)})
    return replace(session, connection_token=connection_token, connection_expiry=connection_expiry)


def close(table: Table, session: Session, now: float) -> None:
    """End the session and free its conversation in one transaction, so a retry finds either
    both done or neither; the conversation counts the chat among its past ones (once: only the
    chat it holds is freed). The session lingers, without tokens, for the goodbye."""
    session_update = {
        "Key": _key(session.contact_id),
        "UpdateExpression": ("SET sessionStatus = :closed, expiresAt = :expires "
                             "REMOVE connectionToken, participantToken"),
        "ConditionExpression": "attribute_exists(contactId)",
        "ExpressionAttributeValues": {
            ":closed": S(STATUS_CLOSED), ":expires": N(now + CLOSED_SESSION_GRACE_SECONDS)},
    }
    conversation_update = {
        "TableName": table.name,
        "Key": _key(conversation_key(session.conversation_id)),
        "UpdateExpression": ("SET lastContactId = :contact, lastEndedAt = :now, "
                             "expiresAt = :remember ADD chatsEnded :one "
                             "REMOVE openContactId, openSession"),
        "ConditionExpression": "openContactId = :contact",
        "ExpressionAttributeValues": {
            ":contact": S(session.contact_id), ":now": N(now), ":one": N(1),
            ":remember": N(now + PAST_CHAT_MEMORY_SECONDS)},
    }
    try:
        table.client.transact_write_items(TransactItems=[
            {"Update": conversation_update},
            {"Update": {"TableName": table.name} | session_update}])
    except ClientError as error:
        if error_code(error) != TRANSACTION_CANCELED:
            raise
        # The conversation already moved on (or the session is gone): close the session alone.
        table.update_if(**session_update)
