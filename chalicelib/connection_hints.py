"""The chats' connection tokens a warm on_connect_event container has seen, so that an agent's
reply can read its chat's transcript while its claim is taken instead of after it (outbound.py,
ordering.py): one round trip before the send instead of two.

Why it is safe. A token here is only ever a hint. The claim still decides whether the message is
sent (a refused claim discards what was read ahead), the transcript read ahead is used only for
the session the claim returned (same contact id, chat still open), and a transcript read at any
moment after the message's event arrived holds that message and every one before it, which is
all the order needs (ordering.py). A stale token (expired, or renewed by another container) is
refused by Connect and costs what the reply cost before: the transcript read after the claim, on
the claimed session's token, which then replaces the hint. A container that never saw the chat
(a cold one) reads after the claim, as before.

Where the hints come from: every session on_connect_event reads anyway (the claim of an agent,
bot or flow message, the customer's echo, the agent's read receipt and typing); a chat that ends
is forgotten. Process memory only, never stored or logged (a connection token lets its holder
speak as the customer), and bounded: the chats least recently seen leave first.

The container also remembers the last messages it saw sent in each chat, so that their
redelivery (or the own event of one sent ahead of a later message) reads no transcript ahead
only to find its claim refused.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from .sessions import STATUS_OPEN, Session

CHATS_KEPT = 256
SENT_KEPT_PER_CHAT = 20


@dataclass
class _Hint:
    connection_token: str
    sent: list[str] = field(default_factory=list)


class ConnectionHints:
    """Connection tokens by contact id (the session's key), least recently used leaving first."""

    def __init__(self, size: int = CHATS_KEPT) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._hints: OrderedDict[str, _Hint] = OrderedDict()

    def learn(self, session: Session | None) -> None:
        """The session as a read returned it: its token while its chat is open, else nothing."""
        if session is None:
            return
        if session.status != STATUS_OPEN or not session.connection_token:
            self.forget(session.contact_id)
            return
        with self._lock:
            hint = self._hints.pop(session.contact_id, None)
            if hint is None or hint.connection_token != session.connection_token:
                hint = _Hint(session.connection_token, hint.sent if hint else [])
            self._hints[session.contact_id] = hint
            while len(self._hints) > self._size:
                self._hints.popitem(last=False)

    def sent(self, contact_id: str, message_id: str) -> None:
        """The container saw the chat's message sent (its completion written)."""
        with self._lock:
            hint = self._hints.get(contact_id)
            if hint is not None:
                hint.sent = [*hint.sent, message_id][-SENT_KEPT_PER_CHAT:]

    def token(self, contact_id: str, message_id: str) -> str | None:
        """The chat's connection token to read ahead with for `message_id`; None when the
        container does not know the chat, or saw that message sent already."""
        with self._lock:
            hint = self._hints.get(contact_id)
            if hint is None or message_id in hint.sent:
                return None
            self._hints.move_to_end(contact_id)
            return hint.connection_token

    def forget(self, contact_id: str) -> None:
        with self._lock:
            self._hints.pop(contact_id, None)

    def clear(self) -> None:
        with self._lock:
            self._hints.clear()
