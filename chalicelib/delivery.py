"""One conversation's buffered entries into its Connect chat, in order, once, whatever dies when.

Before any Connect call, one write reads the conversation and records the buffer keys this
attempt sets out to deliver (sessions.begin_delivery). A retry, grouped however Lambda regroups
it, first finishes the blocks of earlier attempts exactly as they were composed, reading back any
entry it lacks, and only then composes what is new. The same parts give the same idempotency
tokens, so Connect answers a repeated call as before instead of showing the message twice, and a
chat opened by a dead attempt is found again instead of opening a second one.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterator, Mapping, TypeVar

from . import (
    buffer, chat, connect, customer_media, failures, history, identities, logs, messaging,
    metrics, sessions, transcripts, waiting, whatsapp,
)
from .buffer import BufferedEntry
from .chat import ChatGone
from .compose import ChatMedia, ChatPart, ChatText, campaign_part, compose_blocks, delivery_id
from .config import (
    CONNECT_MESSAGE_MAX_BYTES, MARK_READ_BY_AGENT, MARK_READ_NEVER, MARK_READ_ON_DELIVERY, Settings,
)
from .digests import client_token, short_digest
from .formatting import split_text
from .runtime import Runtime
from .sessions import Conversation, Session, Wait

DELIVERED_REACTION = "✅"
Result = TypeVar("Result")
# 12 hex characters: a chance collision among a conversation's last ids is negligible.
DELIVERED_MARK_CHARS = 12
# A chat that is refused the moment it opened is not opened again in the same attempt.
CHAT_OPENINGS_PER_PART = 2


class ChatUnavailable(Exception):
    """No chat could take the message now; the conversation waits and is retried."""


class ConversationDelivery:
    def __init__(self, conversation_id: str, entries: list[BufferedEntry], settings: Settings,
                 runtime: Runtime, retrying: bool = False) -> None:
        self.conversation_id = conversation_id
        self.entries = entries
        # A retry item asked for this attempt (waiting.py): it tries even before the wait is due.
        self.retrying = retrying
        # The entry that names the customer and the business number: the first one delivered.
        self.first: BufferedEntry | None = None
        self.settings = settings
        self.runtime = runtime
        self.table = runtime.sessions_table
        # Marks (short digests) of the delivery ids that reached the chat, oldest first.
        self.delivered: list[str] = []
        # The conversation's chats that ended: the next chat's history and count (history.py).
        self.past = sessions.PastChats()
        self.transcriptions: list[tuple[Future, ChatMedia, customer_media.VoiceNote]] = []
        # The template start_conversation sent, when this delivery opens the chat replying to it.
        self.campaign: dict | None = None
        # The customer's conversation under their other id, when this one has no open chat.
        self.elsewhere = identities.Elsewhere()
        self.pending = 0
        self.finished = False
        self.opened_chat = False

    def run(self) -> None:
        # Entries buffered while the settings could not be read are filtered here instead.
        wanted = [e for e in self.entries if not (
            e.kind == buffer.KIND_MESSAGE and self.settings.ignores(e.body.get("type", "")))]
        if not wanted and not self.retrying:
            logs.info("whatsapp_messages_ignored_by_settings",
                      messageIds=[e.message_id for e in self.entries])
            return
        now = self.runtime.clock()
        conversation = sessions.begin_delivery(self.table, self.conversation_id,
                                               [e.message_key for e in wanted], now)
        wait = conversation.wait
        if wait and not self.retrying and now < wait.next_attempt_at:
            logs.info("conversation_joined_wait", conversationId=self.conversation_id,
                      messageIds=[e.message_id for e in wanted], waitingSince=wait.since)
            return
        try:
            self._deliver_all(conversation, wanted)
        except Exception as error:  # the conversation waits; its neighbours go on
            self._wait(conversation, error)
            return
        if wait is None:
            return
        if not self.finished:
            sessions.record_delivered(self.table, self.conversation_id,
                                      self.delivered, finished=True)
        logs.info("wait_ended", conversationId=self.conversation_id, attempts=wait.attempts,
                  waitedSeconds=int(now - wait.since))
        if self.opened_chat:
            waiting.retry_oldest(self.runtime, "chat_opened", exclude=self.conversation_id)

    def _deliver_all(self, conversation: Conversation, wanted: list[BufferedEntry]) -> None:
        self.delivered = list(conversation.delivered_ids)
        self.past = conversation.past
        blocks = self._blocks(conversation, wanted)
        self.first = next((e for block in blocks for e in block), None)
        self.pending = sum(map(len, blocks))
        session, campaign = conversation.open_session, conversation.campaign
        if session is None and self.pending:
            # Off the hot path: the customer's chat may be open under their other id.
            self.elsewhere = identities.elsewhere(self.table, self.conversation_id,
                                                  conversation, [e for b in blocks for e in b])
            session, campaign = self.elsewhere.session, campaign or self.elsewhere.campaign
            # The customer's chats under their other id count too; the later-counted one is newer.
            self.past = max(self.past, self.elsewhere.past,
                            key=lambda past: (past.count, past.last_ended_at))
        parts = compose_blocks(blocks, _LazySnippets(self, session))
        if session is None and self._campaign_applies(campaign, parts):
            self.campaign = campaign
            parts = [campaign_part(self.campaign)] + parts
        if not parts:
            logs.info("redelivered_entries_skipped", count=len(wanted))
            return
        with ThreadPoolExecutor(max_workers=2) as transcriber:
            for number, part in enumerate(parts, start=1):
                session = self._deliver(session, part, transcriber, last=number == len(parts))
            if session is not None:
                self._finish_transcriptions(session)
        customer_messages = [e for block in blocks for e in block if e.kind == buffer.KIND_MESSAGE]
        if session is not None and customer_messages:
            metrics.messages(metrics.INBOUND, session.system_number,
                             [e.timestamp for e in customer_messages], self.runtime.clock())
            self._acknowledge(max(customer_messages, key=lambda e: e.order))

    def _wait(self, conversation: Conversation, error: Exception) -> None:
        """Connect could not take the conversation now: it waits, and the customer hears it once
        when no chat could be opened for them (full, or its start rate); past the wait's bound
        they are told, and their waiting messages are given up."""
        kind, wait = failures.classify(error), conversation.wait
        # A new chat refused for the start rate waits for a chat as one refused for capacity does:
        # in the same line, told the same, let in as chats open and end, not all at once on a
        # schedule.
        needs_chat = conversation.open_session is None
        reason = failures.CAPACITY if kind == failures.THROTTLED and needs_chat else kind
        now = self.runtime.clock()
        # Connect being full or throttling is the waiting room's ordinary work; anything else is
        # logged with its traceback.
        expected = kind in (failures.CAPACITY, failures.THROTTLED)
        logged = logs.warning if expected else logs.exception
        logged("conversation_waits", conversationId=self.conversation_id, reason=kind,
               error=failures.name(error), attempts=(wait.attempts if wait else 0) + 1,
               pending=self.pending)
        if wait is not None and waiting.has_expired(wait, now, self.settings):
            self._give_up(wait)
            return
        busy = (reason == failures.CAPACITY and not (wait and wait.busy_told)
                and bool(self.settings.busy_message))
        if busy:
            self._tell_customer(self.settings.busy_message, "busy_message_failed")
        waiting.hold(self.table, self.conversation_id, wait, reason, now,
                     self.settings, busy_told=busy, open_chat=conversation.open_session is not None)

    def _give_up(self, wait: Wait) -> None:
        logs.error("wait_gave_up", conversationId=self.conversation_id, messagesDropped=self.pending,
                   waitedSeconds=int(self.runtime.clock() - wait.since), attempts=wait.attempts)
        metrics.count(metrics.DELIVERY_FAILURES, self.first.business.origination_id if self.first
                      else "", self.pending)
        if self.settings.busy_timeout_message:
            self._tell_customer(self.settings.busy_timeout_message, "busy_timeout_message_failed")
        sessions.record_delivered(self.table, self.conversation_id, self.delivered,
                                  finished=True)

    def _tell_customer(self, text: str, failure_event: str) -> None:
        if self.first is None:  # nothing was read back to say who the customer is
            return
        messaging.send_best_effort(
            self.runtime.clients.social, self.first.business.origination_id,
            whatsapp.text_message(self.first.customer.address, text), self.settings.meta_api_version,
            failure_event, conversationId=self.conversation_id)

    def _campaign_applies(self, campaign: dict | None, parts: list[ChatPart]) -> bool:
        """A reply within a week of the template opens its chat; a status note alone opens none."""
        return (campaign is not None and any(part.from_customer for part in parts)
                and self.runtime.clock() - float(campaign.get("sentAt", 0)) <= sessions.CAMPAIGN_SECONDS)

    def _blocks(self, conversation: Conversation,
                wanted: list[BufferedEntry]) -> list[list[BufferedEntry]]:
        """Earlier attempts' undelivered entries, block by block in their own order, then this
        batch's new ones; entries a retried batch lacks are read back from the buffer."""
        in_batch = {e.message_key: e for e in wanted}
        earlier = [list(block) for block in conversation.earlier_blocks]
        missing = [key for block in earlier for key in block
                   if key not in in_batch and not self._is_delivered(_delivery_id_of_key(key))]
        read_back = buffer.get_entries(self.runtime.buffer_table,
                                       self.conversation_id, list(dict.fromkeys(missing))
                                       ) if missing else {}
        seen: set[str] = set()
        blocks = []
        for keys in earlier + [[e.message_key for e in wanted]]:
            block = []
            for key in keys:
                entry = in_batch.get(key) or read_back.get(key)
                if key in seen or entry is None or self._is_delivered(delivery_id(entry)):
                    continue
                seen.add(key)
                block.append(entry)
            blocks.append(block)
        if any(earlier):
            logs.info("earlier_attempt_resumed", blocks=len(earlier), readBack=len(read_back))
        return blocks

    def _deliver(self, session: Session | None, part: ChatPart, transcriber: ThreadPoolExecutor,
                 last: bool) -> Session | None:
        connect_ids: tuple[str, ...] = ()
        if isinstance(part, ChatMedia):
            session, done = self._deliver_media(session, part, transcriber)
        elif session is None and not (part.from_customer or part.opens_chat):
            logs.info("status_note_without_chat_dropped", messageIds=list(part.delivery_ids))
            done = part.delivery_ids
        elif all(self._is_delivered(i) for i in part.delivery_ids):
            return session
        else:
            (session, connect_ids), done = self._deliver_text(session, part), part.delivery_ids
        # A transcript still to come keeps the attempt open until it is said.
        self._record(done, finished=last and not self.transcriptions,
                     note=self._customer_message(session, part, connect_ids) if done else None)
        return session

    def _customer_message(self, session: Session | None, part: ChatPart,
                          connect_ids: tuple[str, ...]) -> sessions.CustomerMessage | None:
        """When the customer wrote (WhatsApp's window runs from it), and what the agent's reading
        will mark read on WhatsApp, or the typing indicator show on."""
        if session is None or not part.from_customer:
            return None
        return sessions.CustomerMessage(
            session.contact_id, part.written_at, self._tracked_whatsapp_id(part), connect_ids,
            unread=self.settings.mark_as_read == MARK_READ_BY_AGENT)

    def _tracked_whatsapp_id(self, part: ChatPart) -> str:
        """The customer's WhatsApp message a part stands for (a merged burst: the newest), when
        reading is shown at all; "" otherwise."""
        if not part.from_customer or self.settings.mark_as_read == MARK_READ_NEVER:
            return ""
        return part.entry.message_id if isinstance(part, ChatMedia) else part.delivery_ids[-1]

    def _deliver_text(self, session: Session | None,
                      part: ChatText) -> tuple[Session, tuple[str, ...]]:
        """The part's chunks into the chat; the session and the chat message ids they became."""
        chunks = split_text(part.text, self.settings.connect_message_max_chars,
                            CONNECT_MESSAGE_MAX_BYTES) or [part.text]
        for _ in range(CHAT_OPENINGS_PER_PART):
            if session is None:
                session = self._open_chat(part, chunks[0])
            try:
                connect_ids = []
                for index, chunk in enumerate(chunks):
                    if index == 0 and session.opened_with == part.delivery_ids:
                        continue  # StartChatContact carried it
                    session, connect_id = chat.send_text(self.runtime, session, chunk, client_token(
                        "text", session.contact_id, *part.delivery_ids, str(index)))
                    connect_ids.append(connect_id)
                logs.info("delivered_to_chat", contactId=session.contact_id,
                          messageIds=list(part.delivery_ids), chunks=len(chunks))
                if not (part.from_customer or part.opens_chat):  # the agent told of a failed send
                    metrics.count(metrics.DELIVERY_FAILURES, session.system_number)
                return session, tuple(i for i in connect_ids if i)
            except ChatGone:
                session = self._close(session)
        raise ChatUnavailable(self.conversation_id)

    def _deliver_media(self, session: Session | None, part: ChatMedia,
                       transcriber: ThreadPoolExecutor) -> tuple[Session, tuple[str, ...]]:
        """Attach the file (unless an earlier attempt did), or say why it cannot be; a voice
        note's transcript is started here and said later."""
        attached = self._is_delivered(part.attached_id)
        if session is None:
            session = self._open_chat(part, None)
        if attached and not part.is_voice_note:
            return session, ()
        # The file's bytes are held (memory_budget.py) until the block ends, after the upload.
        with customer_media.prepared(self.runtime, self.settings, part.entry,
                                     self.runtime.attachment_rules(session.instance_id)) as prepared:
            if isinstance(prepared, customer_media.MediaRefusal):
                if not attached:
                    session = self._refuse_media(session, part, prepared)
                # No transcript follows a refused voice note: the entry is done.
                return session, (part.attached_id,) + (part.delivery_ids if part.is_voice_note else ())
            if not attached:
                try:
                    session = self._attach(session, part, prepared)
                except Exception as error:
                    if failures.classify(error) != failures.PERMANENT:
                        raise
                    session = self._refuse_media(session, part, customer_media.MediaRefusal(
                        prepared.name, prepared.mime_type, len(prepared.data),
                        failures.refusal_reason(error)))
                    return session, (part.attached_id,) + (
                        part.delivery_ids if part.is_voice_note else ())
            if prepared.voice_note:
                self._transcribe_later(transcriber, part, prepared.voice_note)
        return session, (part.attached_id,)

    def _attach(self, session: Session, part: ChatMedia,
                upload: customer_media.MediaUpload) -> Session:
        session, _ = self._in_chat(session, part, lambda chat_session, connection_token: (
            connect.upload_attachment(
                self.runtime.clients.participant, connection_token, name=upload.name,
                mime_type=upload.mime_type, data=upload.data,
                token=client_token("attachment", chat_session.contact_id, part.entry.message_id))))
        logs.info("attached_to_chat", contactId=session.contact_id, messageIds=list(part.delivery_ids),
                  mimeType=upload.mime_type, size=len(upload.data))
        return session

    def _refuse_media(self, session: Session, part: ChatMedia,
                      refusal: customer_media.MediaRefusal) -> Session:
        """The agent learns what the file was; the customer learns it did not get through."""
        # A fixed code, never the words: they name the file, which the customer chose.
        logs.info("attachment_refused", contactId=session.contact_id,
                  messageIds=list(part.delivery_ids), mimeType=refusal.mime_type, size=refusal.size,
                  reason=refusal.reason.code)
        session = self._say(session, part, customer_media.agent_note(refusal), "refused")
        metrics.count(metrics.DELIVERY_FAILURES, part.entry.business.origination_id)
        messaging.send_best_effort(
            self.runtime.clients.social, part.entry.business.origination_id,
            whatsapp.text_message(part.entry.customer.address, customer_media.customer_line(refusal)),
            self.settings.meta_api_version, "customer_notice_failed", messageId=part.entry.message_id)
        return session

    def _say(self, session: Session, part: ChatMedia, text: str, purpose: str) -> Session:
        """A note of the bridge's own in the chat, about one entry."""
        session, _ = self._in_chat(session, part, lambda chat_session, connection_token: (
            connect.send_message(self.runtime.clients.participant, connection_token, text,
                                 client_token(purpose, chat_session.contact_id, part.entry.message_id))))
        return session

    def _in_chat(self, session: Session, part: ChatPart,
                 call: Callable[[Session, str], Result]) -> tuple[Session, Result]:
        """A participant call about one part, with the chat's connection token; a chat that is gone
        is closed and the call goes to a new one, opened for this part."""
        for _ in range(CHAT_OPENINGS_PER_PART):
            try:
                return chat.with_connection(
                    self.runtime, session, lambda connection_token: call(session, connection_token))
            except ChatGone:
                self._close(session)
                session = self._open_chat(part, None)
        raise ChatUnavailable(self.conversation_id)

    def _transcribe_later(self, transcriber: ThreadPoolExecutor, part: ChatMedia,
                          voice_note: customer_media.VoiceNote) -> None:
        """The audio is already with the agent; the transcript follows when Transcribe answers,
        while the rest of the conversation goes on."""
        self.transcriptions.append(
            (transcripts.transcribe_in_background(transcriber, self.runtime, self.settings,
                                                  voice_note), part, voice_note))

    def _finish_transcriptions(self, session: Session) -> None:
        for number, (future, part, voice_note) in enumerate(self.transcriptions, start=1):
            transcript = transcripts.finish(self.runtime, self.settings, session, future,
                                            part.entry.message_id, voice_note)
            self._record(part.delivery_ids, finished=number == len(self.transcriptions))
            # After the record: a retry must not say it to the customer a second time.
            if transcript is not None:
                transcripts.echo(self.runtime, self.settings, session, transcript)

    def _open_chat(self, part: ChatPart, initial_message: str | None) -> Session:
        """StartChatContact, with a token that a retry of this part derives again, so a chat
        opened by an attempt that died before storing it is found, not opened twice."""
        entry = self.first
        assert entry is not None, "a chat is opened only for a part of a delivered entry"
        routing = self.settings.routing_for(entry.business.meta_phone_number_id)
        now = self.runtime.clock()
        attributes = _contact_attributes(entry, self.campaign, self.past.count)
        history_of = history.source(self.past, self.settings, now)
        started = history.start_chat(
            lambda source, token: connect.start_chat(
                self.runtime.clients.connect, routing, display_name=entry.customer.name,
                attributes=attributes, streaming_topic_arn=self.runtime.env.streaming_topic_arn,
                token=token, initial_message=initial_message, history_of=source),
            history_of, client_token("start", self.past.last_contact_id, *part.delivery_ids),
            self.runtime.caches.history_refusals)
        connection_token, expiry = started.connection_token, started.connection_expiry
        # The documented way to mark the customer connected, within 5 minutes of the start
        # (StartChatContact, botocore's connect model); after the message is with the agent.
        if self.settings.connect_participant_on_start or not connection_token:
            connection_token, expiry = connect.create_connection(
                self.runtime.clients.participant, started.participant_token)
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
            opened_with=part.delivery_ids if initial_message else (),
            # Only Connect's echo of the initial message will tell which chat message it became;
            # the part's record notes it as the newest and unread, as for any customer message.
            opening_message_id=(self._tracked_whatsapp_id(part) if initial_message
                                and self.settings.mark_as_read == MARK_READ_BY_AGENT else ""),
            customer_wrote_at=part.written_at,
            waba_id=entry.business.waba_id,
        )
        try:
            sessions.open_session(self.table, session, self.elsewhere.sibling,
                                  self.elsewhere.alias, self.elsewhere.past)
        except sessions.ConversationBusy:
            # Another chat holds the conversation: leave ours, and let the retry use that one.
            connect.disconnect(self.runtime.clients.participant, connection_token,
                               client_token("duplicate", started.contact_id))
            logs.warning("duplicate_chat_closed", contactId=started.contact_id)
            raise ChatUnavailable(entry.conversation_id) from None
        self.opened_chat = True
        metrics.count(metrics.CHATS_STARTED, session.system_number)
        logs.info("chat_started", contactId=session.contact_id, instanceId=routing.instance_id,
                  messageIds=list(part.delivery_ids), customer=entry.customer.customer_id,
                  previousChats=self.past.count, historyOf=history_of)
        return session

    def _close(self, session: Session) -> None:
        logs.info("chat_gone_reopening", contactId=session.contact_id)
        now = self.runtime.clock()
        sessions.close(self.table, session, now)
        self.past = sessions.PastChats(self.past.count + 1, session.contact_id, int(now))

    def _record(self, ids: tuple[str, ...], finished: bool,
                note: sessions.CustomerMessage | None = None) -> None:
        if not ids and not finished:
            return
        marks = [_mark(i) for i in ids]
        self.delivered = [m for m in self.delivered if m not in marks] + marks
        sessions.record_delivered(self.table, self.conversation_id,
                                  self.delivered, finished, note)
        self.finished = self.finished or finished

    def _is_delivered(self, delivery_id_: str) -> bool:
        return _mark(delivery_id_) in self.delivered

    def _acknowledge(self, last: BufferedEntry) -> None:
        """Read receipt and progress reaction: after delivery, and never a reason to retry."""
        origination, version = last.business.origination_id, self.settings.meta_api_version
        social = self.runtime.clients.social
        if self.settings.mark_as_read == MARK_READ_ON_DELIVERY:
            messaging.send_best_effort(social, origination, whatsapp.read_receipt(last.message_id),
                                       version, "mark_as_read_failed", messageId=last.message_id)
        if self.settings.progress_reactions:
            messaging.send_best_effort(
                social, origination,
                whatsapp.reaction_message(last.customer.address, last.message_id, DELIVERED_REACTION),
                version, "progress_reaction_failed", messageId=last.message_id)


class _LazySnippets(Mapping[str, str]):
    """What the agents sent, read from the session only when a reaction or reply needs it."""

    def __init__(self, delivery: ConversationDelivery, session: Session | None) -> None:
        self._delivery = delivery
        self._session = session
        self._snippets: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._snippets is None:
            stored = self._session and sessions.get(self._delivery.table, self._session.contact_id)
            self._snippets = stored.sent_snippets if stored else {}
        return self._snippets

    def __getitem__(self, key: str) -> str:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _mark(delivery_id_: str) -> str:
    """What the conversation remembers of a delivered id: a digest a tenth of a wamid's size keeps
    its item, written twice per delivery, within a few write units."""
    return short_digest(delivery_id_, DELIVERED_MARK_CHARS)


def _delivery_id_of_key(message_key: str) -> str:
    # buffer keys are `<timestamp>#<delivery id>`
    return message_key.split("#", 1)[1]


def _contact_attributes(entry: BufferedEntry, campaign: dict | None,
                        previous_chats: int) -> dict[str, str]:
    """The bridge's own attributes (docs/contact-attributes.md), and a campaign's for the chat a
    reply to its template opens (the bridge's win a clash: a flow routes on them)."""
    attributes = {
        "Channel": sessions.CHANNEL,
        # The number when known, as before usernames, so flows that route on it keep working.
        "customerId": entry.customer.address,
        "customerName": entry.customer.name,
        "businessNumber": entry.business.display_phone_number,
        "businessPhoneNumberId": entry.business.meta_phone_number_id,
        # How many chats with this business number the customer had before: a flow may route a
        # returning customer differently. Connect's attributes are strings.
        "previousChats": str(previous_chats),
    }
    if entry.customer.user_id:
        attributes["customerUserId"] = entry.customer.user_id
    if campaign:
        attributes = {**campaign.get("attributes", {}),
                      "campaignTemplate": campaign.get("templateName", ""), **attributes}
    return {key: value for key, value in attributes.items() if value}
