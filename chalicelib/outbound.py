"""Agent, bot or flow to customer: Connect contact streaming events become WhatsApp messages,
in the order Connect took them (ordering.py: before a message, every earlier one not sent yet)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from botocore.exceptions import ClientError

from . import (
    agent_attachments, agent_receipts, chat_connection, claims, logs, messaging, metrics,
    ordering, sessions, template_commands, templates, ticks_and_typing, waiting, whatsapp,
    window,
)
from .config import MARK_READ_BY_AGENT
from .compose import bridge_note
from .whatsapp_from_chat import whatsapp_payloads, whatsapp_text
from .streaming import (
    TEXT_MARKDOWN, MalformedStreamingEvent, StreamingItem, is_agent_read_receipt, is_agent_typing,
    is_attachment_for_customer, is_chat_end, is_command_capable, is_customer_echo, is_for_customer,
    parse_streaming_record,
)
from .chat_from_whatsapp import whatsapp_error_hint
from .digests import client_token
from .aws_errors import error_code
from .runtime import Runtime
from .sessions import Session

# Longer than the handler's timeout: a claim older than this belongs to a dead invocation.
OUTBOUND_LOCK_SECONDS = 120
SNIPPET_CHARS = 80


def handle(event: dict, runtime: Runtime) -> None:
    """on_connect_event: each record once; a transient failure raises so Lambda retries the event."""
    for record in event.get("Records", []):
        try:
            item = parse_streaming_record(record)
        except MalformedStreamingEvent as error:
            logs.warning("malformed_streaming_event_skipped", reason=str(error))
            continue
        _handle_item(item, runtime)


def _handle_item(item: StreamingItem, runtime: Runtime) -> None:
    if is_chat_end(item):
        _close(item, runtime)
    elif is_for_customer(item):
        _send_to_customer(item, runtime)
    elif is_attachment_for_customer(item):
        _send_attachments(item, runtime)
    elif is_agent_typing(item):
        ticks_and_typing.show_typing(item, runtime)
    elif is_agent_read_receipt(item):
        ticks_and_typing.agent_read(item, runtime)
    elif is_customer_echo(item) and runtime.settings().mark_as_read == MARK_READ_BY_AGENT:
        ticks_and_typing.learn_opening_message(item, runtime)
    else:
        logs.info("streaming_item_not_for_customer", contactId=item.initial_contact_id,
                  itemType=item.type, contentType=item.content_type, role=item.participant_role)


def _close(item: StreamingItem, runtime: Runtime) -> None:
    table = runtime.sessions_table
    session = sessions.get(table, item.initial_contact_id)
    if session is None and item.contact_id != item.initial_contact_id:
        session = sessions.get(table, item.contact_id)
    if session is None:
        logs.info("chat_end_for_unknown_session", contactId=item.initial_contact_id)
        return
    runtime.caches.connection_hints.forget(session.contact_id)
    if session.status == sessions.STATUS_CLOSED:
        logs.info("chat_end_for_closed_session", contactId=session.contact_id)
    else:
        sessions.close(table, session, runtime.clock())
        logs.info("session_closed", contactId=session.contact_id, reason=item.content_type)
    # The chat that ended frees one of the instance's concurrent chats; a retried event, whose
    # first attempt may have died before this, asks again.
    waiting.retry_oldest(runtime, "chat_ended")


Send = Callable[[Session, claims.Steps], dict[str, str]]


def _once(item: StreamingItem, runtime: Runtime, send: Send, free_form: bool = True,
          claimed: claims.Claim | None = None) -> None:
    """Run `send` for the item's session once, however often Connect streams the item, after
    every earlier message not sent yet. `send` walks its steps through the Steps it is given, so
    a retry resumes where an attempt failed, and returns the WhatsApp ids it sent with a snippet
    of each. A `free_form` message goes out only inside WhatsApp's 24-hour window; a template
    goes out whenever. `claimed`: an earlier message, claimed by the later one that sends it."""
    table = runtime.sessions_table
    if claimed is None:
        claimed = _claim_in_turn(item, runtime)
        if claimed is None:
            return
    sent: dict[str, str] = {}
    window_told: dict[str, int] = {}
    try:
        if free_form:
            if window.is_closed(claimed.session.customer_wrote_at, runtime.clock()):
                window_told = _tell_window_closed(item, claimed.session, runtime)
                _complete(runtime, claimed, {}, window_told)
                return
            window_told = _warn_if_closing(item, claimed.session, runtime)
        sent = send(claimed.session, claims.Steps(table, claimed))
    except messaging.WhatsAppRefused as refused:
        _report_send_failure(item, claimed.session, refused, runtime)
    except Exception:
        claims.release(table, claimed)
        raise
    if not sent:
        _complete(runtime, claimed, sent, window_told)
        return
    metrics.messages(metrics.OUTBOUND, claimed.session.system_number, [item.taken_at], runtime.clock())
    # The blue ticks for what the agent answered go out while the completion is written: neither
    # needs the other. A death before the completion lands costs what a death right after the
    # send costs (the retry sends the reply again), whichever of the two calls came back first.
    with ThreadPoolExecutor(max_workers=1) as alongside:
        blue_ticks = alongside.submit(ticks_and_typing.read_on_reply, runtime, claimed.session,
                                      by_agent=item.participant_role == "AGENT")
        _complete(runtime, claimed, sent, window_told)
    blue_ticks.result()


def _complete(runtime: Runtime, claimed: claims.Claim, sent: dict[str, str],
              window_told: dict[str, int]) -> None:
    claims.complete(runtime.sessions_table, claimed, sent, window_told)
    # Its redelivery, or its own event after a later message sent it ahead, reads nothing ahead.
    runtime.caches.connection_hints.sent(claimed.session.contact_id, claimed.message_id)


def _claim_in_turn(item: StreamingItem, runtime: Runtime) -> claims.Claim | None:
    """The item claimed once every earlier message the customer may see went out before it;
    None when it needs no sending (a redelivery, or no session). A claim another invocation took
    a moment ago is waited for: it is sending the message, or sending it ahead of a later one."""
    deadline = time.monotonic() + ordering.WAIT_SECONDS
    # A warm container that knows the chat's connection token reads the transcript meanwhile.
    with ThreadPoolExecutor(max_workers=1) as alongside:
        ahead = ordering.ReadAhead.start(runtime, item, alongside)
        try:
            claimed = ordering.claim_waiting(runtime, lambda: _claim(item, runtime),
                                             OUTBOUND_LOCK_SECONDS, deadline)
        except claims.UnknownSession:
            logs.warning("message_for_unknown_session_dropped", contactId=item.initial_contact_id,
                         connectMessageId=item.id)
            return None
        except claims.AlreadySent:
            logs.info("streaming_redelivery_skipped", contactId=item.initial_contact_id,
                      connectMessageId=item.id)
            return None
        except claims.ClaimInProgress:
            logs.warning("streaming_message_in_progress_retry_later",
                         contactId=item.initial_contact_id, connectMessageId=item.id)
            raise
    runtime.caches.connection_hints.learn(claimed.session)
    try:
        return _earlier_first(item, claimed, runtime, deadline, ahead)
    except claims.ClaimInProgress:
        logs.warning("earlier_message_in_progress_retry_later", contactId=claimed.session.contact_id,
                     connectMessageId=item.id)
        claims.release(runtime.sessions_table, claimed)
        raise
    except Exception:
        claims.release(runtime.sessions_table, claimed)
        raise


def _earlier_first(item: StreamingItem, claimed: claims.Claim, runtime: Runtime, deadline: float,
                   read_ahead: ordering.ReadAhead | None) -> claims.Claim:
    """Send, oldest first, the messages Connect took before the item that are not sent yet, each
    claimed and sent as if its own event had come; the item's claim, its session as they left it.
    ClaimInProgress when one is still held by another invocation at `deadline`."""
    try:
        session, earlier = ordering.earlier_unsent(runtime, claimed, item, read_ahead)
    except ordering.OrderUnknown as unknown:
        logs.info("sent_without_order", contactId=claimed.session.contact_id,
                  connectMessageId=item.id, reason=str(unknown))
        return claimed
    table = runtime.sessions_table
    for message in earlier:
        try:
            earlier_claim = ordering.claim_waiting(runtime, lambda message_id=message.id: claims.claim(
                table, session.contact_id, message_id, OUTBOUND_LOCK_SECONDS,
                runtime.clock()), OUTBOUND_LOCK_SECONDS, deadline)
        except (claims.AlreadySent, claims.UnknownSession):
            continue  # sent meanwhile, by its own event or ahead of another message
        logs.info("earlier_message_sent_first", contactId=session.contact_id,
                  connectMessageId=message.id, before=item.id)
        if is_for_customer(message):
            _send_to_customer(message, runtime, earlier_claim)
        else:
            _send_attachments(message, runtime, earlier_claim)
    if earlier:
        session = sessions.get(table, session.contact_id) or session
    runtime.caches.connection_hints.learn(session)  # its connection token maybe renewed
    return claims.with_session(claimed, session)


def _tell_window_closed(item: StreamingItem, session: Session, runtime: Runtime) -> dict[str, int]:
    """Outside WhatsApp's 24-hour window a free-form message would only fail later (131047): it is
    not sent, and the agent is told at once; the first time, with the templates that can still
    reach the customer. What to remember the agent was told."""
    logs.info("window_closed_not_sent", contactId=session.contact_id, connectMessageId=item.id,
              closedAt=window.closes_at(session.customer_wrote_at))
    metrics.count(metrics.WINDOW_CLOSED_REFUSALS, session.system_number)
    token = client_token("window-closed", item.id)
    if session.window_closed_told_for == session.customer_wrote_at:
        _note_to_agent(runtime, session, window.closed_reminder(session.customer_wrote_at), token)
        return {}
    _note_to_agent(runtime, session,
                   window.closed_note(session.customer_wrote_at, _approved_listing(session, runtime)),
                   token)
    return {"windowClosedToldFor": session.customer_wrote_at}


def _warn_if_closing(item: StreamingItem, session: Session, runtime: Runtime) -> dict[str, int]:
    """Once per window, in its last minutes; what to remember the agent was told."""
    now = runtime.clock()
    if not window.should_warn(session.customer_wrote_at, session.window_warned_for, now,
                              runtime.settings().window_warning_minutes):
        return {}
    # Before the send, under a token of the window's own: a retry or a concurrent reply says it once.
    _note_to_agent(runtime, session, window.warning_note(session.customer_wrote_at, now),
                   client_token("window-warning", session.contact_id, str(session.customer_wrote_at)))
    logs.info("window_closing_warned", contactId=session.contact_id, connectMessageId=item.id)
    return {"windowWarnedFor": session.customer_wrote_at}


def _approved_listing(session: Session, runtime: Runtime) -> str:
    """The approved templates, one per line; "" when they cannot be listed, which must not keep
    the agent from learning that the window closed."""
    if not session.waba_id:
        return ""
    try:
        return templates.listing(runtime.template_summaries(session.waba_id))
    except ClientError as error:
        logs.warning("templates_not_listed", contactId=session.contact_id, error=error_code(error))
        return ""


def _claim(item: StreamingItem, runtime: Runtime) -> claims.Claim:
    """By the chat's first contact id; a transferred contact has a new ContactId, the same
    InitialContactId."""
    table, now = runtime.sessions_table, runtime.clock()
    try:
        return claims.claim(table, item.initial_contact_id, item.id, OUTBOUND_LOCK_SECONDS, now)
    except claims.UnknownSession:
        if item.contact_id == item.initial_contact_id:
            raise
    return claims.claim(table, item.contact_id, item.id, OUTBOUND_LOCK_SECONDS, now)


def _send_to_customer(item: StreamingItem, runtime: Runtime,
                      claimed: claims.Claim | None = None) -> None:
    command = template_commands.parse(item.content, markdown=item.content_type == TEXT_MARKDOWN
                                      ) if is_command_capable(item) else None
    if command is not None:
        _run_template_command(item, command, runtime, claimed)
        return

    def send(session: Session, steps: claims.Steps) -> dict[str, str]:
        text = whatsapp_text(item)
        whatsapp_message_ids = []
        # Text in chunks of WhatsApp's size; an interactive message as a list or reply buttons.
        for payload in steps.pending(whatsapp_payloads(item, session.customer_address)):
            whatsapp_message_ids.append(_send_tracked(runtime, item, session, payload))
        logs.info("sent_to_whatsapp", contactId=session.contact_id, connectMessageId=item.id,
                  whatsappMessageId=(whatsapp_message_ids or [""])[-1], role=item.participant_role)
        # A reaction or a status names the part it is about; each part of a split text stands for
        # the whole message.
        return {whatsapp_id: text[:SNIPPET_CHARS] for whatsapp_id in whatsapp_message_ids
                if whatsapp_id}

    _once(item, runtime, send, claimed=claimed)


def _run_template_command(item: StreamingItem,
                          command: template_commands.Command | template_commands.Unusable,
                          runtime: Runtime, claimed: claims.Claim | None = None) -> None:
    def note(session: Session, text: str, purpose: str) -> Session:
        return _note_to_agent(runtime, session, text, client_token(purpose, item.id))

    def send(session: Session, steps: claims.Steps) -> dict[str, str]:
        sent = template_commands.run(command, session, steps, runtime, note, lambda session, payload:
                                     _send_tracked(runtime, item, session, payload))
        return {whatsapp_id: text[:SNIPPET_CHARS] for whatsapp_id, text in sent.items()}

    _once(item, runtime, send, free_form=False, claimed=claimed)


def _send_attachments(item: StreamingItem, runtime: Runtime,
                      claimed: claims.Claim | None = None) -> None:
    def send(session: Session, steps: claims.Steps) -> dict[str, str]:
        return agent_attachments.send(
            item, session, steps, runtime,
            note=lambda session, text, token: _note_to_agent(runtime, session, text, token),
            send_payload=lambda session, payload: _send_tracked(runtime, item, session, payload))

    _once(item, runtime, send, claimed=claimed)


def _send_tracked(runtime: Runtime, item: StreamingItem, session: Session, payload: dict) -> str:
    """Send one WhatsApp message for the item, whose statuses will name the chat message it carries."""
    return messaging.send(
        runtime.clients.social, session.system_number,
        whatsapp.with_callback_data(payload, agent_receipts.callback_data(session.contact_id, item.id)),
        runtime.settings().meta_api_version)


def _note_to_agent(runtime: Runtime, session: Session, text: str, token: str) -> Session:
    try:
        session, _ = chat_connection.send_text(runtime, session, text, token)
        return session
    except chat_connection.ChatGone:
        logs.warning("agent_note_not_delivered_chat_gone", contactId=session.contact_id)
        return session


def failure_note(refused: messaging.WhatsAppRefused) -> str:
    hint = whatsapp_error_hint(_meta_error_code(refused.message))
    note = f"⚠️ Not delivered to the customer on WhatsApp: {refused.message}"
    return bridge_note(f"{note} {hint}" if hint else note)


def _meta_error_code(message: str) -> str | None:
    digits = "".join(ch if ch.isdigit() else " " for ch in message).split()
    return next((d for d in digits if len(d) == 6), None)


def _report_send_failure(item: StreamingItem, session: Session, refused: messaging.WhatsAppRefused,
                         runtime: Runtime) -> None:
    logs.error("whatsapp_send_failed", contactId=session.contact_id, connectMessageId=item.id,
               error=refused.code)
    metrics.count(metrics.DELIVERY_FAILURES, session.system_number)
    _note_to_agent(runtime, session, failure_note(refused), client_token("send-failure", item.id))
