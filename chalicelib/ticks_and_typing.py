"""Blue ticks when the agent reads, not before, and the agent's typing shown on WhatsApp.

With `mark_as_read` "agent", a customer's message is marked read on WhatsApp when the agent's
read receipt for its chat message arrives, or when the agent types or replies (both certain to
arrive; whether Connect streams receipts is undocumented, so typing and replying are the fallback
that works without them). The typing indicator marks the customer's newest message read too, so it
is shown only when reading is shown at all.

The probe `read_receipts_streamed` (probes.py) notes a streamed read receipt, and an agent's reply
to a message no read receipt had marked read: the sign, unless the receipt is merely late, that
Connect streams none.
"""
from __future__ import annotations

from . import logs, messaging, probes, sessions, whatsapp, window
from .config import MARK_READ_BY_AGENT, MARK_READ_NEVER
from .runtime import Runtime
from .sessions import Session
from .streaming import StreamingItem

# Connect sends typing events every few seconds; WhatsApp's indicator lasts 25 s.
TYPING_EVERY_SECONDS = 20


def show_typing(item: StreamingItem, runtime: Runtime) -> None:
    settings = runtime.settings()
    if settings.mark_as_read == MARK_READ_NEVER:
        return
    now = runtime.clock()
    # Outside WhatsApp's 24-hour window no message can follow the indicator: none is shown.
    session = sessions.mark_typing(runtime.sessions_table, item.initial_contact_id, now,
                                   TYPING_EVERY_SECONDS, window.open_if_wrote_after(now))
    runtime.caches.connection_hints.learn(session)
    if session is None:
        logs.debug("typing_not_shown", contactId=item.initial_contact_id)
        return
    messaging.send_best_effort(
        runtime.clients.social, session.system_number,
        whatsapp.typing_indicator(session.last_customer_message_id), settings.meta_api_version,
        "typing_indicator_failed", contactId=session.contact_id)


def agent_read(item: StreamingItem, runtime: Runtime) -> None:
    """The agent's read receipt for a customer's chat message: blue ticks on what it carried."""
    runtime.caches.probes.observe(probes.READ_RECEIPTS_STREAMED, True,
                                  "Connect streamed an agent's read receipt",
                                  contactId=item.initial_contact_id)
    if runtime.settings().mark_as_read != MARK_READ_BY_AGENT:
        return
    session = sessions.get(runtime.sessions_table, item.initial_contact_id)
    runtime.caches.connection_hints.learn(session)
    whatsapp_id = session.customer_messages.get(item.read_message_id) if session else None
    if session is not None and whatsapp_id is None and session.opening_message_id:
        whatsapp_id = _opening_read(item, session, runtime)
    if session is None or whatsapp_id is None:
        logs.debug("read_receipt_for_unknown_message", contactId=item.initial_contact_id,
                   connectMessageId=item.read_message_id)
        return
    mark_read(runtime, session, whatsapp_id)
    if whatsapp_id == session.unread_message_id:
        sessions.mark_read(runtime.sessions_table, session.contact_id, whatsapp_id)


def _opening_read(item: StreamingItem, session: Session, runtime: Runtime) -> str | None:
    """Connect's echo of the opening message can arrive before the flush has stored the chat, and
    is then lost. Every other customer message's chat id is known from SendMessage, so a receipt
    for one the bridge cannot name, while the opening one is unnamed, is the opening message's, or
    a later note's, which the agent read after it: either way the opening message was read."""
    if not sessions.learn_opening_message(runtime.sessions_table, session.contact_id,
                                          item.read_message_id):
        # The echo named the opening message since this receipt read the session: read what it
        # named (a receipt racing the echo would otherwise leave the ticks grey).
        named = sessions.get(runtime.sessions_table, session.contact_id)
        return named.customer_messages.get(item.read_message_id) if named else None
    logs.info("opening_message_learned_from_receipt", contactId=session.contact_id,
              connectMessageId=item.read_message_id)
    return session.opening_message_id


def read_on_reply(runtime: Runtime, session: Session, by_agent: bool = True) -> None:
    """Whoever replies has read what came before (the claim already cleared the mark). An agent's
    reply to a message still unread suggests that no read receipt was streamed for it."""
    if session.unread_message_id and runtime.settings().mark_as_read == MARK_READ_BY_AGENT:
        if by_agent:
            runtime.caches.probes.observe(
                probes.READ_RECEIPTS_STREAMED, False,
                "an agent replied to a message no read receipt had marked read",
                conclusive=False, contactId=session.contact_id)
        mark_read(runtime, session, session.unread_message_id)


def mark_read(runtime: Runtime, session: Session, whatsapp_id: str) -> None:
    messaging.send_best_effort(
        runtime.clients.social, session.system_number, whatsapp.read_receipt(whatsapp_id),
        runtime.settings().meta_api_version, "mark_as_read_failed", messageId=whatsapp_id)
    logs.info("marked_read_for_agent", contactId=session.contact_id, messageId=whatsapp_id)


def learn_opening_message(item: StreamingItem, runtime: Runtime) -> None:
    """Connect's echo of the customer's messages: the first one names the chat message that
    StartChatContact's initial message became, which only the echo tells."""
    table = runtime.sessions_table
    session = sessions.get(table, item.initial_contact_id)
    runtime.caches.connection_hints.learn(session)
    if session is None or not session.opening_message_id:
        return
    if sessions.learn_opening_message(table, session.contact_id, item.id):
        logs.info("opening_message_learned", contactId=session.contact_id, connectMessageId=item.id)
