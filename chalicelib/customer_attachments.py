"""A customer's file into the conversation's chat: attached, or refused with a note to the agent and
a line to the customer; a voice note's transcript follows once the rest of the conversation is in.

customer_media.py makes the file ready (fetched, checked, converted); this module places it. Every
chat call carries a token derived from the file's message, so a retry says nothing twice.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from . import connect, customer_media, customer_notices, failures, logs, metrics, voice_transcripts
from .compose import ChatMedia
from .config import Settings
from .conversation_chat import ConversationChat
from .customer_media import MediaRefusal, MediaUpload, VoiceNote
from .digests import client_token
from .runtime import Runtime

# Records delivery ids as delivered; `finished` ends the attempt (delivery.py).
Record = Callable[[tuple[str, ...], bool], None]


class CustomerAttachments:
    """The files of one delivery attempt; their transcripts are started at once, in the
    background, and said once every part is in the chat."""

    def __init__(self, runtime: Runtime, settings: Settings, chat: ConversationChat,
                 transcriber: ThreadPoolExecutor) -> None:
        self.runtime = runtime
        self.settings = settings
        self.chat = chat
        self.transcriber = transcriber
        self.transcriptions: list[tuple[Future, ChatMedia, VoiceNote]] = []

    def deliver(self, part: ChatMedia, attached: bool) -> tuple[str, ...]:
        """Attach the file (unless an earlier attempt did, `attached`), or say why it cannot be;
        the delivery ids it completed. A voice note's transcript is started here."""
        session = self.chat.open_for(part)
        if attached and not part.is_voice_note:
            return ()
        # The file's bytes are held (memory_budget.py) until the block ends, after the upload.
        rules = self.runtime.attachment_rules(session.instance_id)
        with customer_media.prepared(self.runtime, self.settings, part.entry, rules) as prepared:
            if isinstance(prepared, MediaUpload) and not attached:
                prepared = self._attach(part, prepared)
            if isinstance(prepared, MediaRefusal):
                if not attached:
                    self._refuse(part, prepared)
                # No transcript follows a refused voice note: the entry is done.
                return (part.attached_id,) + (part.delivery_ids if part.is_voice_note else ())
            if prepared.voice_note:
                self._transcribe_later(part, prepared.voice_note)
        return (part.attached_id,)

    @property
    def transcripts_pending(self) -> bool:
        return bool(self.transcriptions)

    def say_transcripts(self, record: Record) -> None:
        """Each voice note's transcript into the chat, then its entry recorded; the last record
        finishes the attempt."""
        session = self.chat.open_session
        for number, (future, part, voice_note) in enumerate(self.transcriptions, start=1):
            transcript = voice_transcripts.finish(self.runtime, self.settings, session, future,
                                            part.entry.message_id, voice_note)
            record(part.delivery_ids, number == len(self.transcriptions))
            # After the record: a retry must not say it to the customer a second time.
            if transcript is not None:
                voice_transcripts.echo(self.runtime, self.settings, session, transcript)

    def _attach(self, part: ChatMedia, upload: MediaUpload) -> MediaUpload | MediaRefusal:
        """The upload, or why Connect refused it for good."""
        try:
            self.chat.call(part, lambda session, connection_token: connect.upload_attachment(
                self.runtime.clients.participant, connection_token, name=upload.name,
                mime_type=upload.mime_type, data=upload.data,
                token=client_token("attachment", session.contact_id, part.entry.message_id)))
        except Exception as error:
            if failures.classify(error) != failures.PERMANENT:
                raise
            return MediaRefusal(upload.name, upload.mime_type, len(upload.data),
                                failures.refusal_reason(error))
        logs.info("attached_to_chat", contactId=self.chat.open_session.contact_id,
                  messageIds=list(part.delivery_ids), mimeType=upload.mime_type,
                  size=len(upload.data))
        return upload

    def _refuse(self, part: ChatMedia, refusal: MediaRefusal) -> None:
        """The agent learns what the file was; the customer learns it did not get through."""
        # A fixed code, never the words: they name the file, which the customer chose.
        logs.info("attachment_refused", contactId=self.chat.open_session.contact_id,
                  messageIds=list(part.delivery_ids), mimeType=refusal.mime_type, size=refusal.size,
                  reason=refusal.reason.code)
        note = customer_media.agent_note(refusal)
        self.chat.call(part, lambda session, connection_token: connect.send_message(
            self.runtime.clients.participant, connection_token, note,
            client_token("refused", session.contact_id, part.entry.message_id)))
        metrics.count(metrics.DELIVERY_FAILURES, part.entry.business.origination_id)
        customer_notices.tell(self.runtime, self.settings, part.entry,
                              customer_media.customer_line(refusal), "customer_notice_failed",
                              messageId=part.entry.message_id)

    def _transcribe_later(self, part: ChatMedia, voice_note: VoiceNote) -> None:
        """The audio is already with the agent; the transcript follows when Transcribe answers,
        while the rest of the conversation goes on."""
        future = voice_transcripts.transcribe_in_background(self.transcriber, self.runtime, self.settings,
                                                      voice_note)
        self.transcriptions.append((future, part, voice_note))
