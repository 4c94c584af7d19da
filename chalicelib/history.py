"""Persistent chat: a returning customer's new chat starts with the history of their last one.

Amazon Connect rehydrates an ended chat onto a new one: StartChatContact's PersistentChat with
ENTIRE_PAST_SESSION and the initial contact id of the past chat (API Reference, PersistentChat;
Admin Guide, "Enable customers to resume chat conversations"). Each chat rehydrates the one
before it, which carries the ones before that, so the agent sees the whole conversation. The
conversation item already knows the last chat and when it ended (sessions.PastChats, written
when the chat closes), so asking costs no read.

- "Only chat sessions that have ended are allowed to rehydrate onto a new chat session", and
  "Users should wait 30-60 seconds before attempting to rehydrate from a previously ended chat"
  (same Admin Guide page): a chat that ended less than `history_min_age_seconds` ago opens
  without history rather than keeping the customer waiting.
- Connect may refuse the request for its PersistentChat (persistent chat unavailable, the past
  chat unknown or no longer kept): the chat then opens without history at once, with one more
  StartChatContact under a token of its own, and no further attempt. The refusal is logged once
  per error code per container (a refusal usually holds for every customer), not per message.
"""
from __future__ import annotations

import threading
from typing import Callable

from botocore.exceptions import ClientError

from . import logs
from .config import Settings
from .connect import StartedChat
from .digests import client_token
from .aws_errors import error_code
from .sessions import PastChats

# StartChatContact's errors (connect model) that say the request is not valid, or names what does
# not exist: what Connect answers a PersistentChat it will not serve. Capacity and rate refusals
# (LimitExceededException, TooManyRequestsException) and service errors are not about the history.
HISTORY_REFUSALS = frozenset({
    "InvalidRequestException", "InvalidParameterException", "ResourceNotFoundException",
})

# (contact id of the past chat or "", ClientToken) -> the chat StartChatContact started.
Start = Callable[[str, str], StartedChat]


class Refusals:
    """The causes of refused histories a container has logged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logged: set[str] = set()

    def first(self, cause: str) -> bool:
        """True the first time this container meets `cause`."""
        with self._lock:
            if cause in self._logged:
                return False
            self._logged.add(cause)
            return True

    def clear(self) -> None:
        with self._lock:
            self._logged.clear()


def source(past: PastChats, settings: Settings, now: float) -> str:
    """The initial contact id of the chat the new one carries the history of; "" for none."""
    if not settings.history or not past.last_contact_id:
        return ""
    if now - past.last_ended_at < settings.history_min_age_seconds:
        return ""
    return past.last_contact_id


def start_chat(start: Start, history_of: str, token: str, refusals: Refusals) -> StartedChat:
    """The chat with `history_of`'s history, or, when Connect refuses that history, without it.
    The fallback's token derives from `token`, so a retry that meets the same refusal finds the
    chat its first attempt started."""
    if not history_of:
        return start("", token)
    try:
        return start(history_of, token)
    except ClientError as error:
        cause = error_code(error) or ""
        if cause not in HISTORY_REFUSALS:
            raise
    started = start("", client_token("without-history", token))
    # Logged once the chat without history started: then the refusal was the history's.
    if refusals.first(cause):
        logs.warning("chat_history_refused", error=cause, sourceContactId=history_of,
                     contactId=started.contact_id)
    return started
