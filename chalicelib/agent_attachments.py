"""An agent's or bot's attachments, from Connect to the customer on WhatsApp.

Each approved attachment is fetched from Connect, converted when WhatsApp does not take its type
(a wav recording becomes aac), checked against WhatsApp's media limits, staged in S3 for End User
Messaging Social and sent by media id. One WhatsApp cannot take is not sent, and the agent is
told why in the chat. What reaches the customer is returned: outbound.py records it with the
message's claim.
"""
from __future__ import annotations

from typing import Callable

from botocore.exceptions import ClientError

from . import audio, chat_connection, claims, connect, logs, media, media_staging, metrics, whatsapp
from .compose import bridge_note
from .digests import client_token, short_digest
from .aws_errors import error_code
from .runtime import Runtime
from .sessions import Session
from .streaming import StreamingItem

# GetAttachment's answers for an attachment it does not know, or no longer has: no retry helps.
UNKNOWN_ATTACHMENT_ERRORS = frozenset({"ValidationException", "ResourceNotFoundException"})
# WhatsApp's largest media (documents) is 100 MB; nothing bigger is worth downloading.
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024

# Tells the agent in the chat (text, idempotency token); the session, its token maybe renewed.
Note = Callable[[Session, str, str], Session]
# Sends one WhatsApp payload for the item; the WhatsApp message id.
SendPayload = Callable[[Session, dict], str]


def send(item: StreamingItem, session: Session, steps: claims.Steps, runtime: Runtime,
         note: Note, send_payload: SendPayload) -> dict[str, str]:
    """Each attachment an earlier attempt did not finish, once; the WhatsApp ids sent, each with
    its snippet (the file's name)."""
    sent: dict[str, str] = {}
    for attachment in steps.pending(item.attachments):
        if attachment.get("Status", "APPROVED") != "APPROVED":
            logs.info("attachment_not_approved", contactId=session.contact_id,
                      status=attachment.get("Status"))
            continue
        session, whatsapp_ids = _send_one(item, session, attachment, runtime, note, send_payload)
        sent.update(whatsapp_ids)
    return sent


def _send_one(item: StreamingItem, session: Session, attachment: dict, runtime: Runtime,
              note: Note, send_payload: SendPayload) -> tuple[Session, dict[str, str]]:
    """The session as the attachment left it, and what reached the customer (nothing when it was
    not sent)."""
    name = media.safe_file_name(attachment.get("AttachmentName"),
                                attachment.get("ContentType", ""), "attachment")
    mime_type = media.base_mime(attachment.get("ContentType")) or media.mime_for_name(name)
    note_token = client_token("attachment-note", item.id, attachment.get("AttachmentId", ""))

    def not_sent(reason: str) -> tuple[Session, dict[str, str]]:
        metrics.count(metrics.DELIVERY_FAILURES, session.system_number)
        return note(session, _not_sent(name, reason), note_token), {}

    convert = mime_type in media.WAV_TYPES
    target = media.whatsapp_media("audio/aac" if convert else mime_type)
    if target is None:
        logs.info("attachment_not_sent", contactId=session.contact_id, connectMessageId=item.id,
                  reason="type_not_accepted", mimeType=mime_type)
        return not_sent(f"WhatsApp does not accept {mime_type} files")
    try:
        session, data = chat_connection.with_connection(runtime, session, lambda token: connect.download_attachment(
            runtime.clients.participant, token, attachment["AttachmentId"], MAX_ATTACHMENT_BYTES))
    except chat_connection.ChatGone:
        logs.warning("attachment_chat_gone", contactId=session.contact_id, connectMessageId=item.id)
        return session, {}
    except ClientError as error:
        if error_code(error) not in UNKNOWN_ATTACHMENT_ERRORS:
            raise
        logs.warning("attachment_not_fetched", contactId=session.contact_id, connectMessageId=item.id,
                     error=error_code(error))
        return not_sent("Amazon Connect could not provide it")
    if convert:
        try:
            converted = audio.to_whatsapp_audio(data, mime_type)
        except audio.AudioError as error:
            logs.warning("attachment_not_converted", contactId=session.contact_id, reason=str(error))
            return not_sent("the audio could not be converted")
        data, name = converted.data, f"{name.rsplit('.', 1)[0]}.aac"
    refusal = media.whatsapp_refusal(target, len(data))
    if refusal:
        # The code alone: the agent's note names the file, which the agent chose.
        logs.info("attachment_not_sent", contactId=session.contact_id, connectMessageId=item.id,
                  reason=refusal.code, mimeType=target.mime_type, size=len(data))
        return not_sent(refusal.words)
    media_id = media_staging.post_media(
        runtime.clients.social, runtime.clients.s3, origination_id=session.system_number,
        bucket=runtime.env.media_bucket,
        key=f"outbound/{short_digest(session.contact_id)}/{attachment['AttachmentId']}/{name}",
        data=data, mime_type=target.mime_type)
    whatsapp_message_id = send_payload(session, whatsapp.media_message(
        session.customer_address, target.kind, media_id,
        filename=name if target.kind == "document" else None))
    logs.info("attachment_sent_to_whatsapp", contactId=session.contact_id, connectMessageId=item.id,
              whatsappMessageId=whatsapp_message_id, kind=target.kind, size=len(data))
    return session, {whatsapp_message_id: f"📎 {name}"}


def _not_sent(name: str, reason: str) -> str:
    return bridge_note(f"⚠️ {name} was not sent to the customer on WhatsApp: {reason}.")
