"""Agent, bot or flow to customer: Connect contact streaming events become WhatsApp messages."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable

from botocore.exceptions import ClientError

from . import audio, chat, connect, idempotency, logs, media, sessions, whatsapp
from .agent_text import whatsapp_error_hint
from .formatting import markdown_to_whatsapp, split_text
from .runtime import Runtime
from .sessions import Session

SENDING_ROLES = frozenset({"AGENT", "SYSTEM", "CUSTOM_BOT"})
CUSTOMER_VISIBILITIES = frozenset({"CUSTOMER", "ALL"})
CHAT_ENDED = "application/vnd.amazonaws.connect.event.chat.ended"
PARTICIPANT_LEFT = "application/vnd.amazonaws.connect.event.participant.left"
TEXT_MARKDOWN = "text/markdown"
INTERACTIVE = "application/vnd.amazonaws.connect.message.interactive"
OUTBOUND_SCOPE = "outbound"
# Longer than the handler's timeout: a claim older than this belongs to a dead invocation.
OUTBOUND_LOCK_SECONDS = 120
SNIPPET_CHARS = 80
# WhatsApp's largest media (documents) is 100 MB; nothing bigger is worth downloading.
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024


class MalformedStreamingEvent(ValueError):
    """Not a Connect contact-streaming item this bridge understands."""


@dataclass(frozen=True)
class StreamingItem:
    id: str
    type: str
    content_type: str
    content: str
    participant_role: str
    display_name: str
    initial_contact_id: str
    contact_id: str
    visibility: str
    attachments: tuple[dict, ...] = ()


def parse_streaming_record(record: dict) -> StreamingItem:
    try:
        sns = record["Sns"]
        body = json.loads(sns["Message"])
        attributes = sns.get("MessageAttributes") or {}
        initial_contact_id = body.get("InitialContactId") or _attribute(attributes, "InitialContactId")
        if not body.get("Id") or not body.get("Type") or not initial_contact_id:
            raise KeyError("Id, Type or InitialContactId")
        return StreamingItem(
            id=body["Id"],
            type=body["Type"],
            content_type=body.get("ContentType") or _attribute(attributes, "ContentType"),
            content=body.get("Content") or "",
            participant_role=body.get("ParticipantRole") or _attribute(attributes, "ParticipantRole"),
            display_name=body.get("DisplayName") or "",
            initial_contact_id=initial_contact_id,
            contact_id=body.get("ContactId") or _attribute(attributes, "ContactId")
            or initial_contact_id,
            # Connect sets the visibility on messages; an event without one concerns everybody.
            visibility=_attribute(attributes, "MessageVisibility") or "ALL",
            attachments=tuple(a for a in body.get("Attachments") or [] if isinstance(a, dict)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MalformedStreamingEvent(f"not a Connect streaming item: {error!r}") from None


def _attribute(attributes: dict, name: str) -> str:
    value = attributes.get(name)
    return value.get("Value", "") if isinstance(value, dict) else ""


def handle(event: dict, runtime: Runtime) -> None:
    """on_connect_event: each record once; a transient failure raises so Lambda retries the event."""
    for record in event.get("Records", []):
        try:
            item = parse_streaming_record(record)
        except MalformedStreamingEvent as error:
            logs.warning("malformed_streaming_event_skipped", reason=str(error))
            continue
        _handle_item(item, runtime)


def is_chat_end(item: StreamingItem) -> bool:
    return item.type == "EVENT" and (
        item.content_type == CHAT_ENDED
        or (item.content_type == PARTICIPANT_LEFT and item.participant_role == "CUSTOMER"))


def is_for_customer(item: StreamingItem) -> bool:
    return (item.type == "MESSAGE" and item.participant_role in SENDING_ROLES
            and item.visibility in CUSTOMER_VISIBILITIES and bool(item.content.strip()))


def is_attachment_for_customer(item: StreamingItem) -> bool:
    return (item.type == "ATTACHMENT" and item.participant_role in SENDING_ROLES
            and item.visibility in CUSTOMER_VISIBILITIES and bool(item.attachments))


def _handle_item(item: StreamingItem, runtime: Runtime) -> None:
    if is_chat_end(item):
        _close(item, runtime)
    elif is_for_customer(item):
        _send_to_customer(item, runtime)
    elif is_attachment_for_customer(item):
        _send_attachments(item, runtime)
    else:
        logs.info("streaming_item_not_for_customer", contactId=item.initial_contact_id,
                  itemType=item.type, contentType=item.content_type, role=item.participant_role)


def _find_session(item: StreamingItem, runtime: Runtime) -> Session | None:
    dynamodb, table = runtime.clients.dynamodb, runtime.env.sessions_table
    session = sessions.get(dynamodb, table, item.initial_contact_id)
    if session is None and item.contact_id != item.initial_contact_id:
        session = sessions.get(dynamodb, table, item.contact_id)
    return session


def _close(item: StreamingItem, runtime: Runtime) -> None:
    session = _find_session(item, runtime)
    if session is None or session.status == sessions.STATUS_CLOSED:
        logs.info("chat_end_for_unknown_or_closed_session", contactId=item.initial_contact_id)
        return
    sessions.close(runtime.clients.dynamodb, runtime.env.sessions_table, session, runtime.clock())
    logs.info("session_closed", contactId=session.contact_id, reason=item.content_type)


def whatsapp_text(item: StreamingItem) -> str:
    if item.content_type == TEXT_MARKDOWN:
        return markdown_to_whatsapp(item.content)
    if item.content_type == INTERACTIVE:
        return interactive_as_text(item.content)
    return item.content


def interactive_as_text(content: str) -> str:
    """A Lex ListPicker or QuickReply as numbered options; the customer answers with the title."""
    try:
        template = json.loads(content)
        body = template["data"]["content"]
    except (TypeError, KeyError, ValueError):
        return content
    lines = [text for text in (body.get("title"), body.get("subtitle")) if text]
    for number, element in enumerate(body.get("elements") or [], start=1):
        if isinstance(element, dict) and element.get("title"):
            subtitle = f" ({element['subtitle']})" if element.get("subtitle") else ""
            lines.append(f"{number}. {element['title']}{subtitle}")
    return "\n".join(lines) or content


def _once(item: StreamingItem, runtime: Runtime,
          send: Callable[[Session, idempotency.Steps], None]) -> None:
    """Run `send` for the item's session once, however often Connect streams the item; `send`
    walks its steps through the Steps it is given, so a retry resumes where an attempt failed."""
    session = _find_session(item, runtime)
    if session is None:
        logs.warning("message_for_unknown_session_dropped", contactId=item.initial_contact_id,
                     connectMessageId=item.id)
        return
    dynamodb, table = runtime.clients.dynamodb, runtime.env.sessions_table
    key = idempotency.record_key(OUTBOUND_SCOPE, item.id)
    steps_done = idempotency.claim(dynamodb, table, key, OUTBOUND_LOCK_SECONDS, runtime.clock())
    if steps_done is None:
        logs.info("streaming_redelivery_skipped", contactId=session.contact_id, connectMessageId=item.id)
        return
    try:
        send(session, idempotency.Steps(dynamodb, table, key, steps_done))
    except ClientError as error:
        if not whatsapp.is_permanent_send_error(error):
            idempotency.release(dynamodb, table, key)
            raise
        _report_send_failure(item, session, error, runtime)
    except Exception:
        idempotency.release(dynamodb, table, key)
        raise
    idempotency.complete(dynamodb, table, key)


def _send_to_customer(item: StreamingItem, runtime: Runtime) -> None:
    def send(session: Session, steps: idempotency.Steps) -> None:
        settings = runtime.settings()
        text = whatsapp_text(item)
        whatsapp_message_id = ""
        for chunk in steps.pending(split_text(text, whatsapp.WHATSAPP_TEXT_MAX_CHARS)):
            whatsapp_message_id = whatsapp.send(
                runtime.clients.social, session.system_number,
                whatsapp.text_message(session.customer_address, chunk), settings.meta_api_version)
        logs.info("sent_to_whatsapp", contactId=session.contact_id, connectMessageId=item.id,
                  whatsappMessageId=whatsapp_message_id, role=item.participant_role)
        _remember_sent(runtime, session, whatsapp_message_id, text[:SNIPPET_CHARS])

    _once(item, runtime, send)


def _remember_sent(runtime: Runtime, session: Session, whatsapp_message_id: str, snippet: str) -> None:
    if not whatsapp_message_id:
        return
    try:
        sessions.record_sent(runtime.clients.dynamodb, runtime.env.sessions_table, session,
                             whatsapp_message_id, snippet)
    except ClientError as error:
        logs.warning("sent_snippet_not_recorded", contactId=session.contact_id,
                     error=error.response.get("Error", {}).get("Code"))


def _send_attachments(item: StreamingItem, runtime: Runtime) -> None:
    def send(session: Session, steps: idempotency.Steps) -> None:
        for attachment in steps.pending(item.attachments):
            if attachment.get("Status", "APPROVED") != "APPROVED":
                logs.info("attachment_not_approved", contactId=session.contact_id,
                          status=attachment.get("Status"))
                continue
            session = _send_attachment(item, session, attachment, runtime)

    _once(item, runtime, send)


def _send_attachment(item: StreamingItem, session: Session, attachment: dict,
                     runtime: Runtime) -> Session:
    name = media.safe_file_name(attachment.get("AttachmentName"),
                                attachment.get("ContentType", ""), "attachment")
    mime_type = media.base_mime(attachment.get("ContentType")) or media.mime_for_name(name)
    note_token = connect.client_token("attachment-note", item.id, attachment.get("AttachmentId", ""))
    convert = mime_type in media.WAV_TYPES
    target = media.whatsapp_media("audio/aac" if convert else mime_type)
    if target is None:
        reason = f"WhatsApp does not accept {mime_type} files"
        return _note_to_agent(runtime, session, _not_sent(name, reason), note_token)
    try:
        session, data = chat.with_connection(runtime, session, lambda token: connect.download_attachment(
            runtime.clients.participant, token, attachment["AttachmentId"], MAX_ATTACHMENT_BYTES))
    except connect.ConnectionRefused:
        logs.warning("attachment_chat_gone", contactId=session.contact_id, connectMessageId=item.id)
        return session
    if convert:
        try:
            converted = audio.to_whatsapp_audio(data, mime_type)
        except audio.AudioError as error:
            logs.warning("attachment_not_converted", contactId=session.contact_id, reason=str(error))
            return _note_to_agent(runtime, session, _not_sent(name, "the audio could not be converted"),
                                  note_token)
        data, name = converted.data, f"{name.rsplit('.', 1)[0]}.aac"
    refusal = media.whatsapp_refusal(target, len(data))
    if refusal:
        return _note_to_agent(runtime, session, _not_sent(name, refusal), note_token)
    settings = runtime.settings()
    contact_hash = hashlib.sha256(session.contact_id.encode("utf-8")).hexdigest()[:20]
    media_id = whatsapp.post_media(
        runtime.clients.social, runtime.clients.s3, origination_id=session.system_number,
        bucket=runtime.env.media_bucket,
        key=f"outbound/{contact_hash}/{attachment['AttachmentId']}/{name}",
        data=data, mime_type=target.mime_type)
    whatsapp_message_id = whatsapp.send(
        runtime.clients.social, session.system_number,
        whatsapp.media_message(session.customer_address, target.kind, media_id,
                               filename=name if target.kind == "document" else None),
        settings.meta_api_version)
    logs.info("attachment_sent_to_whatsapp", contactId=session.contact_id, connectMessageId=item.id,
              whatsappMessageId=whatsapp_message_id, kind=target.kind, size=len(data))
    _remember_sent(runtime, session, whatsapp_message_id, f"📎 {name}")
    return session


def _not_sent(name: str, reason: str) -> str:
    return f"⚠️ {name} was not sent to the customer on WhatsApp: {reason}."


def _note_to_agent(runtime: Runtime, session: Session, text: str, token: str) -> Session:
    if session.status != sessions.STATUS_OPEN:
        return session
    try:
        return chat.send_text(runtime, session, text, token)
    except connect.ConnectionRefused:
        logs.warning("agent_note_not_delivered_chat_gone", contactId=session.contact_id)
        return session


def failure_note(error: ClientError) -> str:
    details = error.response.get("Error", {})
    message = details.get("Message") or details.get("Code") or "unknown error"
    hint = whatsapp_error_hint(_meta_error_code(message))
    note = f"⚠️ Not delivered to the customer on WhatsApp: {message}"
    return f"{note} {hint}" if hint else note


def _meta_error_code(message: str) -> str | None:
    digits = "".join(ch if ch.isdigit() else " " for ch in message).split()
    return next((d for d in digits if len(d) == 6), None)


def _report_send_failure(item: StreamingItem, session: Session, error: ClientError,
                         runtime: Runtime) -> None:
    code = error.response.get("Error", {}).get("Code")
    logs.error("whatsapp_send_failed", contactId=session.contact_id, connectMessageId=item.id,
               error=code)
    _note_to_agent(runtime, session, failure_note(error), connect.client_token("send-failure", item.id))
