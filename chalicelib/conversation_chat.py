"""The conversation's Connect chat through one delivery attempt: opened when a part needs one,
replaced when it is found ended.

StartChatContact carries the bridge's contact attributes and, for a returning customer, the history
of their last chat (history.py). Its token is derived from the part that opens the chat, so a retry
of that part finds the chat an attempt that died before storing it opened, instead of opening a
second one.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterator, Mapping, TypeVar

from . import chat_connection, connect, history, identities, logs, metrics, sessions
from .buffer import BufferedEntry
from .chat_connection import ChatGone
from .compose import ChatPart
from .config import Settings
from .digests import client_token
from .runtime import Runtime
from .sessions import PastChats, Session

Result = TypeVar("Result")
# A chat that is refused the moment it opened is not opened again in the same attempt.
CHAT_OPENINGS_PER_PART = 2


class ChatUnavailable(Exception):
    """No chat could take the message now; the conversation waits and is retried."""


class ConversationChat:
    """The chat one delivery attempt talks to: `session` is the open one, or None until a part
    needs one; `opened` says whether this attempt opened one (the waiting room lets in the next
    customer then)."""

    def __init__(self, runtime: Runtime, settings: Settings, first: BufferedEntry,
                 session: Session | None, past: PastChats,
                 elsewhere: identities.Elsewhere) -> None:
        self.runtime = runtime
        self.settings = settings
        # The entry that names the customer and the business number: the first one delivered.
        self.first = first
        self.session = session
        # The conversation's chats that ended: the next chat's history and count (history.py).
        self.past = past
        # The customer's conversation under their other id, when this one has no open chat.
        self.elsewhere = elsewhere
        # The template start_conversation sent, when a reply to it opens the chat.
        self.campaign: dict | None = None
        self.opened = False

    def deliver(self, part: ChatPart, action: Callable[[], Result],
                initial_message: str | None = None, opening_message_id: str = "") -> Result:
        """`action` in the chat, opened for `part` if there is none (with `initial_message` as
        StartChatContact's); a chat found ended is closed and `action` goes to a new one."""
        for _ in range(CHAT_OPENINGS_PER_PART):
            self.open_for(part, initial_message, opening_message_id)
            try:
                return action()
            except ChatGone:
                self._close()
        raise ChatUnavailable(self.first.conversation_id)

    def call(self, part: ChatPart, action: Callable[[Session, str], Result]) -> Result:
        """One participant call about `part`, as `deliver` places it."""
        return self.deliver(part, lambda: self.talk(action))

    def talk(self, action: Callable[[Session, str], Result]) -> Result:
        """A participant call with the open chat's connection token, renewed if Connect refuses
        it; ChatGone when the chat has ended."""
        session = self.open_session
        self.session, result = chat_connection.with_connection(
            self.runtime, session, lambda connection_token: action(session, connection_token))
        return result

    def send_text(self, text: str, token: str) -> str:
        """A message as the customer participant; the chat message's id. ChatGone when the chat
        has ended."""
        self.session, message_id = chat_connection.send_text(self.runtime, self.open_session, text, token)
        return message_id

    @property
    def open_session(self) -> Session:
        assert self.session is not None, "only an open chat is talked to"
        return self.session

    def open_for(self, part: ChatPart, initial_message: str | None = None,
                 opening_message_id: str = "") -> Session:
        """The open chat, or one opened for `part`."""
        if self.session is None:
            self.session = self._open(part, initial_message, opening_message_id)
        return self.session

    def sent_snippets(self) -> Mapping[str, str]:
        return _SentSnippets(self.runtime, self.session)

    def _open(self, part: ChatPart, initial_message: str | None,
              opening_message_id: str) -> Session:
        """StartChatContact under a token a retry of `part` derives again, then the session
        stored as the conversation's one open chat."""
        entry, now = self.first, self.runtime.clock()
        routing = self.settings.routing_for(entry.business.meta_phone_number_id)
        history_of = history.source(self.past, self.settings, now)
        started = history.start_chat(
            lambda source, token: connect.start_chat(
                self.runtime.clients.connect, routing, display_name=entry.customer.name,
                attributes=contact_attributes(entry, self.campaign, self.past.count),
                streaming_topic_arn=self.runtime.env.streaming_topic_arn, token=token,
                initial_message=initial_message, history_of=source),
            history_of, client_token("start", self.past.last_contact_id, *part.delivery_ids),
            self.runtime.caches.history_refusals)
        # The documented way to mark the customer connected, within 5 minutes of the start
        # (StartChatContact, botocore's connect model); after the message is with the agent.
        if self.settings.connect_participant_on_start or not started.connection_token:
            connection_token, expiry = connect.create_connection(
                self.runtime.clients.participant, started.participant_token)
            started = replace(started, connection_token=connection_token, connection_expiry=expiry)
        session = Session.opened(
            started, routing, entry.conversation_id, entry.customer, entry.business, now,
            customer_wrote_at=part.written_at,
            opened_with=part.delivery_ids if initial_message else (),
            # Only Connect's echo of the initial message will tell which chat message it became.
            opening_message_id=opening_message_id if initial_message else "")
        self._store(session)
        self.opened = True
        metrics.count(metrics.CHATS_STARTED, session.system_number)
        logs.info("chat_started", contactId=session.contact_id, instanceId=routing.instance_id,
                  messageIds=list(part.delivery_ids), customer=entry.customer.customer_id,
                  previousChats=self.past.count, historyOf=history_of)
        return session

    def _store(self, session: Session) -> None:
        try:
            sessions.open_session(self.runtime.sessions_table, session, self.elsewhere.sibling,
                                  self.elsewhere.alias, self.elsewhere.past)
        except sessions.ConversationBusy:
            # Another chat holds the conversation: leave ours, and let the retry use that one.
            connect.disconnect(self.runtime.clients.participant, session.connection_token,
                               client_token("duplicate", session.contact_id))
            logs.warning("duplicate_chat_closed", contactId=session.contact_id)
            raise ChatUnavailable(session.conversation_id) from None

    def _close(self) -> None:
        session, now = self.open_session, self.runtime.clock()
        logs.info("chat_gone_reopening", contactId=session.contact_id)
        sessions.close(self.runtime.sessions_table, session, now)
        self.session = None
        self.past = PastChats(self.past.count + 1, session.contact_id, int(now))


class _SentSnippets(Mapping[str, str]):
    """What the agents sent, read from the session only when a reaction or reply needs it."""

    def __init__(self, runtime: Runtime, session: Session | None) -> None:
        self._runtime = runtime
        self._session = session
        self._snippets: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._snippets is None:
            stored = self._session and sessions.get(
                self._runtime.sessions_table,
                self._session.contact_id)
            self._snippets = stored.sent_snippets if stored else {}
        return self._snippets

    def __getitem__(self, key: str) -> str:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def contact_attributes(entry: BufferedEntry, campaign: dict | None,
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
