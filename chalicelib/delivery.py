"""One conversation's buffered entries into its Connect chat, in order, once, whatever dies when.

Before any Connect call, one write reads the conversation and records the buffer keys this
attempt sets out to deliver (sessions.begin_delivery). A retry, grouped however Lambda regroups
it, first finishes the blocks of earlier attempts exactly as they were composed, reading back any
entry it lacks, and only then composes what is new. The same parts give the same idempotency
tokens, so Connect answers a repeated call as before instead of showing the message twice, and a
chat opened by a dead attempt is found again instead of opening a second one.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from . import buffer, customer_notices, failures, identities, logs, metrics, sessions, waiting
from .buffer import BufferedEntry
from .compose import ChatMedia, ChatPart, ChatText, campaign_part, compose_blocks, delivery_id
from .config import CONNECT_MESSAGE_MAX_BYTES, MARK_READ_BY_AGENT, MARK_READ_NEVER, Settings
from .conversation_chat import ConversationChat
from .customer_attachments import CustomerAttachments
from .digests import client_token, short_digest
from .formatting import split_text
from .runtime import Runtime
from .sessions import Conversation, Session, Wait

# 12 hex characters: a chance collision among a conversation's last ids is negligible.
DELIVERED_MARK_CHARS = 12


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
        self.pending = 0
        self.finished = False

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
            opened_chat = self._deliver_all(conversation, wanted)
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
        if opened_chat:
            waiting.retry_oldest(self.runtime, "chat_opened", exclude=self.conversation_id)

    def _deliver_all(self, conversation: Conversation, wanted: list[BufferedEntry]) -> bool:
        """Every entry still to deliver into the chat, in order; whether a chat was opened."""
        self.delivered = list(conversation.delivered_ids)
        blocks = self._blocks(conversation, wanted)
        entries = [e for block in blocks for e in block]
        if not entries:
            logs.info("redelivered_entries_skipped", count=len(wanted))
            return False
        self.first, self.pending = entries[0], len(entries)
        chat, campaign = self._find_chat(conversation, entries)
        parts = compose_blocks(blocks, chat.sent_snippets())
        if chat.session is None and self._campaign_applies(campaign, parts):
            chat.campaign = campaign
            parts = [campaign_part(campaign)] + parts
        with ThreadPoolExecutor(max_workers=2) as transcriber:
            attachments = CustomerAttachments(self.runtime, self.settings, chat, transcriber)
            for number, part in enumerate(parts, start=1):
                self._deliver(chat, attachments, part, last=number == len(parts))
            if chat.session is not None:
                attachments.say_transcripts(self._record)
        customer_messages = [e for e in entries if e.kind == buffer.KIND_MESSAGE]
        if chat.session is not None and customer_messages:
            metrics.messages(metrics.INBOUND, chat.session.system_number,
                             [e.timestamp for e in customer_messages], self.runtime.clock())
            customer_notices.acknowledge(self.runtime, self.settings,
                                         max(customer_messages, key=lambda e: e.order))
        return chat.opened

    def _find_chat(self, conversation: Conversation,
                   entries: list[BufferedEntry]) -> tuple[ConversationChat, dict | None]:
        """The conversation's chat, or the customer's under their other id; and the campaign a
        new chat may reply to."""
        session, campaign = conversation.open_session, conversation.campaign
        past = conversation.past
        elsewhere = identities.Elsewhere()
        if session is None:
            # Off the hot path: the customer's chat may be open under their other id.
            elsewhere = identities.elsewhere(self.table, self.conversation_id,
                                             conversation, entries)
            session, campaign = elsewhere.session, campaign or elsewhere.campaign
            # The customer's chats under their other id count too; the later-counted one is newer.
            past = max(past, elsewhere.past, key=lambda chats: (chats.count, chats.last_ended_at))
        return ConversationChat(self.runtime, self.settings, entries[0], session, past,
                                elsewhere), campaign

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
                     self.settings, busy_told=busy,
                     remembered_longer=(conversation.open_session is not None
                                        or conversation.past.count > 0
                                        or conversation.campaign is not None))

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
        if self.first is not None:  # else nothing was read back to say who the customer is
            customer_notices.tell(self.runtime, self.settings, self.first, text, failure_event,
                                  conversationId=self.conversation_id)

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

    def _deliver(self, chat: ConversationChat, attachments: CustomerAttachments, part: ChatPart,
                 last: bool) -> None:
        connect_ids: tuple[str, ...] = ()
        if isinstance(part, ChatMedia):
            done = attachments.deliver(part, attached=self._is_delivered(part.attached_id))
        elif chat.session is None and not (part.from_customer or part.opens_chat):
            logs.info("status_note_without_chat_dropped", messageIds=list(part.delivery_ids))
            done = part.delivery_ids
        elif all(self._is_delivered(i) for i in part.delivery_ids):
            return
        else:
            connect_ids, done = self._deliver_text(chat, part), part.delivery_ids
        # A transcript still to come keeps the attempt open until it is said.
        self._record(done, finished=last and not attachments.transcripts_pending,
                     note=self._customer_message(chat.session, part, connect_ids) if done else None)

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

    def _deliver_text(self, chat: ConversationChat, part: ChatText) -> tuple[str, ...]:
        """The part's chunks into the chat, the first one opening it if none is open; the chat
        message ids they became."""
        chunks = split_text(part.text, self.settings.connect_message_max_chars,
                            CONNECT_MESSAGE_MAX_BYTES) or [part.text]
        # A chat opened with the part's first chunk learns which chat message it became from
        # Connect's echo; until then the part is the newest and unread, as any customer message.
        opening_message_id = (self._tracked_whatsapp_id(part)
                              if self.settings.mark_as_read == MARK_READ_BY_AGENT else "")
        connect_ids = chat.deliver(part, lambda: self._send_chunks(chat, part, chunks),
                                   initial_message=chunks[0], opening_message_id=opening_message_id)
        session = chat.open_session
        logs.info("delivered_to_chat", contactId=session.contact_id,
                  messageIds=list(part.delivery_ids), chunks=len(chunks))
        if not (part.from_customer or part.opens_chat):  # the agent told of a failed send
            metrics.count(metrics.DELIVERY_FAILURES, session.system_number)
        return connect_ids

    @staticmethod
    def _send_chunks(chat: ConversationChat, part: ChatText, chunks: list[str]) -> tuple[str, ...]:
        session = chat.open_session
        connect_ids = [
            chat.send_text(chunk, client_token("text", session.contact_id, *part.delivery_ids,
                                               str(index)))
            for index, chunk in enumerate(chunks)
            # StartChatContact carried the first chunk of the part that opened the chat.
            if not (index == 0 and session.opened_with == part.delivery_ids)]
        return tuple(i for i in connect_ids if i)

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


def _mark(delivery_id_: str) -> str:
    """What the conversation remembers of a delivered id: a digest a tenth of a wamid's size keeps
    its item, written twice per delivery, within a few write units."""
    return short_digest(delivery_id_, DELIVERED_MARK_CHARS)


def _delivery_id_of_key(message_key: str) -> str:
    # buffer keys are `<timestamp>#<delivery id>`
    return message_key.split("#", 1)[1]
