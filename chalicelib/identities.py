"""Customers with usernames: one conversation per customer, whether WhatsApp names them by phone
number, by business-scoped user id, or both.

Since 2026 a WhatsApp user may hide their number behind a username. Meta then names them by a
business-scoped user id (BSUID, `US.13491208655302741918`): `contacts[].user_id`,
`messages[].from_user_id`, `statuses[].recipient_user_id`; `wa_id` and `from` only while the
number is still shared (Meta, *Business-scoped user IDs*; docs/reference/WHATSAPP_PAYLOADS.md §7).

**The decision.** A conversation is keyed by the BSUID whenever the webhook carries one, by
`wa_id` otherwise (whatsapp.Customer.customer_id). Meta's page says the BSUID is assigned to
`user_id` and appears in all messages webhooks, whether or not the user adopted a username, so
once BSUIDs are live every customer message names it and a customer who loses their number stays
under the same key: no look-up, nothing extra on the hot path (a text into an open chat is still
the buffer's PutItem, the conversation's UpdateItem and SendMessage).

Two things still carry the phone number alone, and are bridged here, off the hot path:
- **A chat opened under the phone number** (before BSUIDs, or from an event without one), whose
  customer now writes with both ids: their BSUID conversation has no open chat, so the new-chat
  path reads the phone-number conversation (one GetItem) and, when it holds an open chat, adopts
  it: one transaction moves the chat to the BSUID conversation, leaves the old one pointing at it
  (`userConversationId`) and renames the session's conversation (sessions.adopt). A template
  start_conversation sent to the number waits on that conversation too, and is taken from it.
- **A webhook naming the phone number alone** once the chat lives under the BSUID: a `failed`
  status for a message sent to the number carries `recipient_id` only. Its conversation item,
  which the hot path reads anyway, points at the BSUID conversation, whose chat is used where it
  is (one GetItem; nothing is moved, so the customer's own messages keep their one call).

No two open chats: a chat opened under either key is stored on the condition that the other
key holds none (sessions.open_session's `sibling`), and adoption moves the chat under the
conditions that the old key still holds it and the new one holds none. A flush that dies between
any two calls is retried into the same state: before the adoption it looks again, after it the
BSUID conversation already holds the chat (tests/crash/flows.py, "username-adoption" and
"username-number-alone"). What the conditions cannot prevent: a customer with no chat whose
first messages come in the same moment under both keys (one webhook with the BSUID, one
without, which Meta no longer sends once BSUIDs are live) may have two chats started at once;
the one stored second is left at once and its messages wait and go to the first, as for two
flushes of one conversation.

Replies go to the phone number when the chat knows it (`to`, as Meta recommends), otherwise to
the BSUID (`recipient`, no `to`): whatsapp.recipient_fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from . import logs, sessions
from .buffer import BufferedEntry
from .tables import Table
from .sessions import Conversation, PastChats, Session
from .whatsapp import conversation_id


@dataclass(frozen=True)
class Elsewhere:
    """What the customer's other conversation holds for a delivery that found no open chat: its
    chat (adopted, or to be used where it is), its campaign, what a new chat's storing must
    guard (`sibling`) or point at this conversation (`alias`), and its past chats, which a new
    chat's history and count go on from (history.py)."""

    session: Session | None = None
    campaign: dict[str, Any] | None = None
    sibling: str = ""
    alias: bool = False
    past: PastChats = PastChats()


def elsewhere(table: Table, own_id: str, conversation: Conversation,
              entries: Sequence[BufferedEntry]) -> Elsewhere:
    """Called only when `conversation` (own_id's, as begin_delivery read it) has no open chat."""
    first = entries[0] if entries else None
    if first is None:
        return Elsewhere()
    business = first.business.meta_phone_number_id
    user_id = next((e.customer.user_id for e in entries if e.customer.user_id), None)
    wa_id = next((e.customer.wa_id for e in entries if e.customer.wa_id), None)
    if user_id and wa_id and own_id == conversation_id(business, user_id):
        phone_id = conversation_id(business, wa_id)
        other = sessions.get_conversation(table, phone_id)
        session = other.open_session
        if session is not None:
            session = sessions.adopt(table, session, own_id, user_id, other.past)
            logs.info("chat_adopted" if session else "chat_not_adopted",
                      contactId=other.open_session.contact_id, conversationId=own_id)
        return Elsewhere(session, other.campaign, phone_id, alias=True, past=other.past)
    if conversation.user_conversation_id:
        other = sessions.get_conversation(table, conversation.user_conversation_id)
        if other.open_session is not None:
            logs.info("chat_of_user_id_used", contactId=other.open_session.contact_id,
                      conversationId=own_id)
        return Elsewhere(other.open_session, None, conversation.user_conversation_id,
                         past=other.past)
    return Elsewhere()
