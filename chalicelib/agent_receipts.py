"""WhatsApp's delivered and read statuses for agents' messages, as the agent's Connect receipts.

An agent's WhatsApp message carries its chat and Connect message id in `biz_opaque_callback_data`,
which Meta echoes in the message's status webhooks: a status names the receipt it becomes. That End
User Messaging Social passes the field through is not documented, so the bridge keeps a fallback: the
completion that records a sent message maps each WhatsApp id to its Connect message on the session
(`sentMessages`, bounded like `sentSnippets`), and a status without callback data is looked up by its
id in the customer's open chat (the conversation item, then the session: two reads, no write; a
third when a status naming the number alone follows the conversation to the customer's
business-scoped user id, where identities.py keeps the chat).

That the id SendWhatsAppMessage returns is the one statuses name is not documented either. A status
whose callback data names a message the session knows under another id shows it does not hold; the
message's snippet is then kept under the status's id too, so the customer's reaction or quoted reply,
which names that id, still shows what it refers to. Both are reported by probes.py.

Statuses go straight from on_whatsapp_event to Connect, not through the buffer: they are not part
of the conversation's order, must never delay or fail a customer's message, and a receipt a few
seconds late helps nobody.
"""
from __future__ import annotations

from botocore.exceptions import ClientError

from . import chat_connection, connect, logs, probes, sessions, streaming
from .chat_connection import ChatGone
from .digests import client_token
from .aws_errors import error_code
from .runtime import Runtime
from .sessions import Session
from .whatsapp import DeliveryStatus

_SEPARATOR = "|"
RECEIPT_TYPES = {"delivered": streaming.MESSAGE_DELIVERED, "read": streaming.MESSAGE_READ}
# Connect refuses receipts in a chat of more than two participants (a supervisor, a second agent).
MORE_THAN_TWO_PARTICIPANTS = "ConflictException"


def callback_data(contact_id: str, connect_message_id: str) -> str:
    return f"{contact_id}{_SEPARATOR}{connect_message_id}"


def tracked_message(status: DeliveryStatus) -> tuple[str, str] | None:
    """The chat and Connect message a status is about, when the bridge sent that message."""
    data = status.body.get("biz_opaque_callback_data")
    if not isinstance(data, str) or data.count(_SEPARATOR) != 1:
        return None
    contact_id, message_id = data.split(_SEPARATOR)
    return (contact_id, message_id) if contact_id and message_id else None


def to_agent(status: DeliveryStatus, runtime: Runtime) -> None:
    content_type = RECEIPT_TYPES.get(status.status)
    if content_type is None:
        logs.debug("status_not_shown_to_agent", status=status.status, messageId=status.message_id)
        return
    found = _sent_message(status, runtime)
    if found is None:
        return
    session, connect_message_id = found
    token = client_token("receipt", status.status, status.message_id)
    try:
        chat_connection.with_connection(runtime, session, lambda connection_token: connect.send_receipt(
            runtime.clients.participant, connection_token, content_type, connect_message_id, token))
    except ChatGone:
        logs.debug("receipt_for_ended_chat_dropped", contactId=session.contact_id)
        return
    except ClientError as error:
        if error_code(error) != MORE_THAN_TWO_PARTICIPANTS:
            raise
        logs.debug("receipt_not_shown_to_more_than_two", contactId=session.contact_id)
        return
    logs.info("receipt_shown_to_agent", contactId=session.contact_id,
              connectMessageId=connect_message_id, status=status.status)


def _sent_message(status: DeliveryStatus, runtime: Runtime) -> tuple[Session, str] | None:
    """The chat and Connect message the status is about: named by its callback data, or else
    found by its WhatsApp id among what the customer's open chat sent."""
    table, seen = runtime.sessions_table, runtime.caches.probes
    tracked = tracked_message(status)
    if tracked is not None:
        seen.observe(probes.CALLBACK_DATA_ECHOED, True, "a status carried the callback data")
        contact_id, connect_message_id = tracked
        session = sessions.get(table, contact_id)
        if session is None:
            logs.debug("status_for_unknown_chat_dropped", contactId=contact_id)
            return None
        _learn_status_id(status, session, connect_message_id, runtime)
        return session, connect_message_id
    conversation = sessions.get_conversation(table, status.conversation_id)
    open_session = conversation.open_session
    if open_session is None and conversation.user_conversation_id:
        # A status naming the number alone, for a chat kept under the customer's business-scoped
        # user id (identities.py).
        open_session = sessions.find_open(table, conversation.user_conversation_id)
    session = open_session and sessions.get(table, open_session.contact_id)
    connect_message_id = session and (session.sent_messages or {}).get(status.message_id)
    if not session or not connect_message_id:
        # A message the bridge sent without callback data (a notice, a reaction), or not at all.
        logs.debug("status_for_unknown_message_dropped", status=status.status,
                   messageId=status.message_id)
        return None
    seen.observe(probes.CALLBACK_DATA_ECHOED, False,
                 "a status of an agent's message came without the callback data it was sent with",
                 contactId=session.contact_id, connectMessageId=connect_message_id)
    seen.observe(probes.MESSAGE_ID_IS_WAMID, True,
                 "a status named a message by the id SendWhatsAppMessage returned")
    return session, connect_message_id


def _learn_status_id(status: DeliveryStatus, session: Session, connect_message_id: str,
                     runtime: Runtime) -> None:
    """Whether the status names the message by the id SendWhatsAppMessage returned; when it does
    not, the message's snippet is kept under the status's id as well (one write, once per id)."""
    sent = session.sent_messages or {}
    if status.message_id in sent:
        runtime.caches.probes.observe(probes.MESSAGE_ID_IS_WAMID, True,
                                      "a status named a message by the id SendWhatsAppMessage returned")
        return
    returned = [whatsapp_id for whatsapp_id, connect_id in sent.items()
                if connect_id == connect_message_id]
    if not returned:
        return  # sent before the bridge kept the map, or no longer kept: nothing to compare
    runtime.caches.probes.observe(
        probes.MESSAGE_ID_IS_WAMID, False,
        "a status named a message by an id SendWhatsAppMessage did not return",
        contactId=session.contact_id, connectMessageId=connect_message_id)
    if status.message_id in session.sent_snippets:
        return  # learned from an earlier status
    snippets = {session.sent_snippets.get(whatsapp_id) for whatsapp_id in returned}
    if len(snippets) > 1:
        # Several files of one Connect message share its callback data: which one this status is
        # about is unknown (the parts of a split text share their snippet).
        logs.info("sent_message_id_ambiguous", contactId=session.contact_id,
                  connectMessageId=connect_message_id, sends=len(returned))
        return
    (snippet,) = snippets
    if snippet is None:
        return
    sessions.keep_snippet_as(runtime.sessions_table, session.contact_id, status.message_id,
                             snippet)
    logs.info("sent_message_id_learned", contactId=session.contact_id,
              connectMessageId=connect_message_id, messageId=status.message_id)
