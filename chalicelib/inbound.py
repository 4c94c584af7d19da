"""Customer to agent: buffer WhatsApp notifications, then flush each conversation into its chat."""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

from botocore.exceptions import ClientError

from . import buffer, chat, connect, customer_media, logs, messaging, sessions, transcription, whatsapp
from .receive import ignored_by_settings
from .agent_text import describe_status_failure, media_caption, render_for_agent
from .buffer import BufferedEntry
from .config import CONNECT_MESSAGE_MAX_BYTES, Settings, SettingsError
from .formatting import split_text
from .digests import client_token
from .errors import error_code
from .runtime import Runtime
from .sessions import Session

DELIVERED_REACTION = "✅"


@dataclass(frozen=True)
class ChatText:
    """One chat message for the agent, and the buffered entries it carries."""

    text: str
    delivery_ids: tuple[str, ...]
    from_customer: bool


@dataclass(frozen=True)
class ChatMedia:
    """A customer's file, to become a chat attachment."""

    entry: BufferedEntry
    from_customer = True

    @property
    def delivery_ids(self) -> tuple[str, ...]:
        return (delivery_id(self.entry),)


def delivery_id(entry: BufferedEntry) -> str:
    # A failed status carries the id of the business's own message; keep it apart from messages.
    return entry.message_id if entry.kind == buffer.KIND_MESSAGE else f"{entry.message_id}#failed"


def compose(entries: Iterable[BufferedEntry],
            sent_snippets: dict[str, str]) -> list[ChatText | ChatMedia]:
    """Consecutive customer texts become one chat message; a file stands alone, its caption right
    after it; status notes stand alone."""
    parts: list[ChatText | ChatMedia] = []

    def add_customer_text(text: str, part_id: str) -> None:
        last = parts[-1] if parts else None
        if isinstance(last, ChatText) and last.from_customer:
            parts[-1] = ChatText(f"{last.text}\n{text}", last.delivery_ids + (part_id,), True)
        else:
            parts.append(ChatText(text, (part_id,), True))

    for entry in entries:
        if entry.kind != buffer.KIND_MESSAGE:
            parts.append(ChatText(describe_status_failure(entry.body), (delivery_id(entry),), False))
        elif customer_media.is_attachable(entry):
            parts.append(ChatMedia(entry))
            caption = media_caption(entry.body)
            if caption:
                add_customer_text(caption, f"{entry.message_id}#caption")
        else:
            add_customer_text(render_for_agent(entry.body, sent_snippets), delivery_id(entry))
    return parts


def flush(event: dict, runtime: Runtime) -> dict:
    """flush_buffer: deliver each conversation of the batch; report only what must be retried."""
    entries: list[BufferedEntry] = []
    for record in event.get("Records", []):
        if not isinstance(record, dict) or record.get("eventName") != "INSERT":
            continue
        try:
            entries.append(buffer.decode_stream_record(record))
        except buffer.MalformedRecord as error:
            logs.warning("malformed_stream_record_skipped", reason=str(error),
                         eventId=record.get("eventID"))
    if not entries:
        return {"batchItemFailures": []}
    try:
        settings = runtime.settings()
    except SettingsError as error:
        logs.error("settings_invalid", reason=str(error))
        return _failures(entries)
    conversations: dict[str, list[BufferedEntry]] = defaultdict(list)
    for entry in entries:
        conversations[entry.conversation_id].append(entry)
    for group in conversations.values():
        group.sort(key=lambda e: e.order)
    workers = max(1, min(settings.flush_concurrency, len(conversations)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda group: _deliver_safely(group, settings, runtime),
                                 conversations.values()))
    failed = [entry for group, delivered in zip(conversations.values(), outcomes, strict=True)
              if not delivered for entry in group]
    return _failures(failed)


def _failures(entries: Iterable[BufferedEntry]) -> dict:
    return {"batchItemFailures": [{"itemIdentifier": e.sequence_number} for e in entries]}


def _deliver_safely(entries: list[BufferedEntry], settings: Settings, runtime: Runtime) -> bool:
    try:
        ConversationDelivery(entries, settings, runtime).run()
        return True
    except Exception:  # one conversation's failure must not fail the batch
        logs.exception("conversation_delivery_failed", conversationId=_masked(entries[0]),
                       messageIds=[e.message_id for e in entries])
        return False


def _masked(entry: BufferedEntry) -> str:
    return f"{entry.business.meta_phone_number_id}#{logs.mask_identifier(entry.customer.customer_id)}"


class ConversationDelivery:
    """Delivers one conversation's buffered entries, strictly in order."""

    def __init__(self, entries: list[BufferedEntry], settings: Settings, runtime: Runtime) -> None:
        self.entries = entries
        self.first = entries[0]
        self.settings = settings
        self.runtime = runtime
        self.dynamodb = runtime.clients.dynamodb
        self.table = runtime.env.sessions_table
        self.transcriptions: list[tuple[Future, BufferedEntry, customer_media.VoiceNote]] = []

    def run(self) -> None:
        # Entries buffered while the settings could not be read are filtered here instead.
        wanted = [e for e in self.entries if not (
            e.kind == buffer.KIND_MESSAGE and ignored_by_settings(e.body.get("type", ""), self.settings))]
        if not wanted:
            logs.info("whatsapp_messages_ignored_by_settings",
                      messageIds=[e.message_id for e in self.entries])
            return
        session = sessions.find_open(self.dynamodb, self.table, self.first.conversation_id,
                                     self.first.customer.customer_id)
        delivered = set(session.delivered_message_ids) if session else set()
        pending = [e for e in wanted if delivery_id(e) not in delivered]
        skipped = len(wanted) - len(pending)
        if skipped:
            logs.info("redelivered_entries_skipped", count=skipped, contactId=session.contact_id)
        parts = compose(pending, session.sent_snippets if session else {})
        if session is None and any(part.from_customer for part in parts):
            session = sessions.find_open_consistent(self.dynamodb, self.table,
                                                    self.first.conversation_id)
        with ThreadPoolExecutor(max_workers=2) as transcriber:
            for part in parts:
                if isinstance(part, ChatMedia):
                    session = self._deliver_media(session, part, transcriber)
                elif session is None and not part.from_customer:
                    logs.info("status_note_without_chat_dropped", messageIds=list(part.delivery_ids),
                              customer=self.first.customer.customer_id)
                else:
                    session = self._deliver(session, part)
            if session is not None:
                self._finish_transcriptions(session)
        customer_messages = [e for e in pending if e.kind == buffer.KIND_MESSAGE]
        if session is not None and customer_messages:
            self._acknowledge(customer_messages[-1])

    def _deliver(self, session: Session | None, part: ChatText) -> Session:
        chunks = split_text(part.text, self.settings.connect_message_max_chars,
                            CONNECT_MESSAGE_MAX_BYTES) or [part.text]
        numbered = list(enumerate(chunks))
        if session is None:
            session = self._open_chat(chunks[0], part, client_token("start", *part.delivery_ids),
                                      carries_whole_part=len(chunks) == 1)
            numbered = numbered[1:]
        for index, chunk in numbered:
            token = client_token("message", *part.delivery_ids, str(index))
            session = self._send(session, chunk, token, part)
        if not set(part.delivery_ids) <= set(session.delivered_message_ids):
            session = sessions.record_delivered(self.dynamodb, self.table, session, part.delivery_ids)
        logs.info("delivered_to_chat", contactId=session.contact_id,
                  messageIds=list(part.delivery_ids), chunks=len(chunks))
        return session

    def _deliver_media(self, session: Session | None, part: ChatMedia,
                       transcriber: ThreadPoolExecutor) -> Session:
        entry = part.entry
        if session is None:
            session = self._open_chat(None, part, client_token("start", *part.delivery_ids),
                                      carries_whole_part=False)
        prepared = customer_media.prepare(self.runtime, self.settings, entry,
                                          self.runtime.attachment_rules(session.instance_id))
        if isinstance(prepared, customer_media.MediaRefusal):
            session = self._refuse_media(session, part, prepared)
        else:
            session = self._attach(session, part, prepared)
            if prepared.voice_note:
                self._transcribe_later(transcriber, entry, prepared.voice_note)
        return sessions.record_delivered(self.dynamodb, self.table, session, part.delivery_ids)

    def _attach(self, session: Session, part: ChatMedia,
                upload: customer_media.MediaUpload) -> Session:
        token = client_token("attachment", *part.delivery_ids)

        def upload_with(connection_token: str) -> str:
            return connect.upload_attachment(
                self.runtime.clients.participant, connection_token, name=upload.name,
                mime_type=upload.mime_type, data=upload.data, token=token)

        try:
            session, _ = chat.with_connection(self.runtime, session, upload_with)
        except connect.ConnectionRefused:
            logs.info("chat_gone_reopening", contactId=session.contact_id)
            sessions.close(self.dynamodb, self.table, session, self.runtime.clock())
            session = self._open_chat(
                None, part, client_token("restart", session.contact_id, token),
                carries_whole_part=False)
            session, _ = chat.with_connection(self.runtime, session, upload_with)
        logs.info("attached_to_chat", contactId=session.contact_id, messageIds=list(part.delivery_ids),
                  mimeType=upload.mime_type, size=len(upload.data))
        return session

    def _refuse_media(self, session: Session, part: ChatMedia,
                      refusal: customer_media.MediaRefusal) -> Session:
        """The agent learns what the file was; the customer learns it did not get through."""
        logs.info("attachment_refused", contactId=session.contact_id,
                  messageIds=list(part.delivery_ids), mimeType=refusal.mime_type, size=refusal.size,
                  reason=refusal.reason)
        session = self._send(session, customer_media.agent_note(refusal),
                             client_token("refused", *part.delivery_ids), part)
        self._tell_customer(part.entry, customer_media.customer_line(refusal))
        return session

    def _tell_customer(self, entry: BufferedEntry, text: str) -> None:
        try:
            messaging.send(self.runtime.clients.social, entry.business.origination_id,
                          whatsapp.text_message(entry.customer.address, text),
                          self.settings.meta_api_version)
        except (ClientError, messaging.WhatsAppRefused) as error:
            logs.warning("customer_notice_failed", messageId=entry.message_id,
                         error=error_code(error))

    def _transcribe_later(self, transcriber: ThreadPoolExecutor, entry: BufferedEntry,
                          voice_note: customer_media.VoiceNote) -> None:
        """The audio is already with the agent; the transcript follows when Transcribe answers,
        while the rest of the conversation goes on."""
        languages = transcription.sync_languages(self.settings.transcribe_languages)
        future: Future = Future()
        if languages:
            future = transcriber.submit(transcription.transcribe_now, self.runtime.clients.transcribe,
                                        voice_note.ogg, languages)
        else:
            future.set_exception(LookupError("languages not covered by TranscribeAudio"))
        self.transcriptions.append((future, entry, voice_note))

    def _finish_transcriptions(self, session: Session) -> None:
        for future, entry, voice_note in self.transcriptions:
            try:
                transcript = future.result()
            except Exception as error:  # any failure of the fast path falls back to a job
                logs.info("transcription_fallback_to_job", messageId=entry.message_id,
                          reason=type(error).__name__)
                self._start_transcription_job(session, entry, voice_note)
                continue
            deliver_transcript(self.runtime, self.settings, session, transcript,
                               client_token("transcript", entry.message_id))

    def _start_transcription_job(self, session: Session, entry: BufferedEntry,
                                 voice_note: customer_media.VoiceNote) -> None:
        name = transcription.job_name(session.contact_id, entry.message_id)
        try:
            transcription.start_job(
                self.runtime.clients.transcribe, name=name,
                media_uri=f"s3://{voice_note.stored.bucket}/{voice_note.stored.key}",
                languages=self.settings.transcribe_languages,
                output_bucket=self.runtime.env.media_bucket)
            logs.info("transcription_job_started", contactId=session.contact_id, job=name)
        except ClientError as error:
            logs.warning("transcription_unavailable", contactId=session.contact_id,
                         error=error_code(error))
            _say_in_chat(self.runtime, session, transcription.UNAVAILABLE_LINE,
                         client_token("transcript", entry.message_id))

    def _send(self, session: Session, chunk: str, token: str, part: ChatText | ChatMedia) -> Session:
        try:
            return chat.send_text(self.runtime, session, chunk, token)
        except connect.ConnectionRefused:
            logs.info("chat_gone_reopening", contactId=session.contact_id)
        sessions.close(self.dynamodb, self.table, session, self.runtime.clock())
        return self._open_chat(chunk, part, client_token("restart", session.contact_id, token),
                               carries_whole_part=False)

    def _open_chat(self, initial_message: str | None, part: ChatText | ChatMedia, token: str,
                   carries_whole_part: bool) -> Session:
        entry = self.first
        routing = self.settings.routing_for(entry.business.meta_phone_number_id)
        started = connect.start_chat(
            self.runtime.clients.connect, routing,
            display_name=entry.customer.name,
            attributes=_contact_attributes(entry),
            streaming_topic_arn=self.runtime.env.streaming_topic_arn,
            token=token,
            initial_message=initial_message,
        )
        connection_token, expiry = started.connection_token, started.connection_expiry
        if self.settings.connect_participant_on_start or not connection_token:
            connection_token, expiry = connect.create_connection(
                self.runtime.clients.participant, started.participant_token)
        now = self.runtime.clock()
        session = Session(
            contact_id=started.contact_id,
            conversation_id=entry.conversation_id,
            customer_id=entry.customer.customer_id,
            customer_wa_id=entry.customer.wa_id,
            customer_user_id=entry.customer.user_id,
            name=entry.customer.name,
            meta_phone_number_id=entry.business.meta_phone_number_id,
            system_number=entry.business.origination_id,
            display_phone_number=entry.business.display_phone_number,
            instance_id=routing.instance_id,
            participant_id=started.participant_id,
            participant_token=started.participant_token,
            connection_token=connection_token,
            connection_expiry=expiry,
            created_at=int(now),
            expires_at=sessions.session_expiry(now, routing.chat_duration_minutes),
            delivered_message_ids=part.delivery_ids if carries_whole_part else (),
        )
        try:
            sessions.open_session(self.dynamodb, self.table, session)
        except sessions.ConversationBusy:
            return self._yield_to_existing_chat(started, initial_message, part, token)
        logs.info("chat_started", contactId=session.contact_id, instanceId=routing.instance_id,
                  messageIds=list(part.delivery_ids), customer=entry.customer.customer_id)
        return session

    def _yield_to_existing_chat(self, started: connect.StartedChat, initial_message: str | None,
                                part: ChatText | ChatMedia, token: str) -> Session:
        """Another chat won the conversation: close ours and say the text there instead."""
        connect.disconnect(self.runtime.clients.participant, started.connection_token, token)
        existing = sessions.find_open_consistent(self.dynamodb, self.table, self.first.conversation_id)
        if existing is None:
            raise RuntimeError("conversation claimed by a chat that is no longer open")
        logs.warning("duplicate_chat_closed", contactId=started.contact_id,
                     keptContactId=existing.contact_id)
        if initial_message is None:
            return existing
        return chat.send_text(self.runtime, existing, initial_message, token)

    def _acknowledge(self, last: BufferedEntry) -> None:
        """Read receipt and progress reaction: after delivery, and never a reason to retry."""
        origination = last.business.origination_id
        if self.settings.mark_as_read:
            try:
                messaging.send(self.runtime.clients.social, origination,
                              whatsapp.read_receipt(last.message_id), self.settings.meta_api_version)
            except ClientError as error:
                logs.warning("mark_as_read_failed", messageId=last.message_id,
                             error=error_code(error))
        if self.settings.progress_reactions:
            _react(self.runtime, self.settings, origination, last.customer.address,
                   last.message_id, DELIVERED_REACTION)


def _contact_attributes(entry: BufferedEntry) -> dict[str, str]:
    attributes = {
        "Channel": sessions.CHANNEL,
        "customerId": entry.customer.customer_id,
        "customerName": entry.customer.name,
        "businessNumber": entry.business.display_phone_number,
        "businessPhoneNumberId": entry.business.meta_phone_number_id,
    }
    if entry.customer.user_id:
        attributes["customerUserId"] = entry.customer.user_id
    return {key: value for key, value in attributes.items() if value}


def _react(runtime: Runtime, settings: Settings, origination: str, to: str, message_id: str,
           emoji: str) -> None:
    try:
        messaging.send(runtime.clients.social, origination,
                      whatsapp.reaction_message(to, message_id, emoji), settings.meta_api_version)
    except ClientError as error:
        logs.warning("progress_reaction_failed", messageId=message_id,
                     error=error_code(error))


def deliver_transcript(runtime: Runtime, settings: Settings, session: Session,
                       transcript: transcription.Transcript, token: str) -> None:
    """The transcript line for the agent, and for the customer when `echo_transcript` is on."""
    _say_in_chat(runtime, session, transcription.agent_line(transcript), token)
    logs.info("transcript_delivered", contactId=session.contact_id, language=transcript.language)
    if settings.echo_transcript and transcript.text:
        try:
            messaging.send(runtime.clients.social, session.system_number,
                          whatsapp.text_message(session.customer_address,
                                                transcription.customer_line(transcript)),
                          settings.meta_api_version)
        except ClientError as error:
            logs.warning("transcript_echo_failed", contactId=session.contact_id,
                         error=error_code(error))


def _say_in_chat(runtime: Runtime, session: Session, text: str, token: str) -> None:
    try:
        chat.send_text(runtime, session, text, token)
    except connect.ConnectionRefused:
        logs.warning("chat_gone_before_transcript", contactId=session.contact_id)


def complete_transcription(event: dict, runtime: Runtime) -> None:
    """on_transcription_job: a job's transcript (or its failure) goes to the chat it was made for."""
    detail = event.get("detail") or {}
    name = str(detail.get("TranscriptionJobName", ""))
    contact_id = transcription.contact_of_job(name)
    if contact_id is None:
        logs.info("transcription_job_not_ours", job=name)
        return
    dynamodb, table = runtime.clients.dynamodb, runtime.env.sessions_table
    session = sessions.get(dynamodb, table, contact_id)
    if session is not None and session.status != sessions.STATUS_OPEN:
        # The chat was replaced while Transcribe worked; the conversation's current chat gets it.
        session = sessions.find_open_consistent(dynamodb, table, session.conversation_id)
    if session is None:
        logs.warning("transcript_without_open_chat", job=name)
        return
    token = client_token("transcript-job", name)
    if detail.get("TranscriptionJobStatus") != "COMPLETED":
        logs.warning("transcription_job_failed", job=name, reason=detail.get("FailureReason"))
        _say_in_chat(runtime, session, transcription.UNAVAILABLE_LINE, token)
        return
    document = runtime.clients.s3.get_object(
        Bucket=runtime.env.media_bucket, Key=transcription.transcript_key(name))["Body"].read()
    deliver_transcript(runtime, runtime.settings(), session,
                       transcription.parse_transcript_file(document), token)
