"""Once-only sending of a Connect message to WhatsApp, recorded on the chat's own session item
(sessions.py owns the item and writes the record; this module is the protocol).

Claiming and reading the session are one conditional write, and completing and remembering what
was sent are one more, so an agent reply costs one DynamoDB call before the send and one after.

A claim whose worker died expires after the lock time; until then a redelivery raises
ClaimInProgress, so Lambda retries it later instead of dropping it. A message of several steps (a
long text in chunks, several attachments) records each step, so a retry resumes after the last
one that reached the customer.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Sequence, TypeVar

from . import sessions
from .tables import Table
from .sessions import Session

Step = TypeVar("Step")


class ClaimInProgress(Exception):
    """Another invocation holds the message; Lambda should retry after its lock expires."""

    def __init__(self, message_id: str, until: int = 0) -> None:
        super().__init__(message_id)
        # When the holder's lock expires (epoch seconds; 0: not known).
        self.until = until


class AlreadySent(Exception):
    """The message was sent before: a redelivery."""


class UnknownSession(Exception):
    """No session has this contact id."""


@dataclass(frozen=True)
class Claim:
    session: Session
    message_id: str
    steps_done: int
    # The chat's messages already sent when the claim was taken (ordering.py reads them).
    completed: frozenset[str] = frozenset()


def claim(table: Table, contact_id: str, message_id: str, lock_seconds: int, now: float) -> Claim:
    """Take the message for sending and read its session, in one write."""
    locked, send = sessions.lock_message(table, contact_id, message_id, int(now) + lock_seconds, now)
    if locked and send.session is not None:  # a lock is only taken on a session
        return Claim(send.session, message_id, send.steps_done, send.completed)
    if send.session is None:
        raise UnknownSession(contact_id)
    if message_id in send.completed:
        raise AlreadySent(message_id)
    raise ClaimInProgress(message_id, send.locked_until)


def step_done(table: Table, claimed: Claim, steps: int) -> None:
    sessions.record_steps(table, claimed.session.contact_id, claimed.message_id, steps)


def complete(table: Table, claimed: Claim, sent: dict[str, str],
             window_told: dict[str, int] | None = None) -> None:
    """The message is sent, as the WhatsApp ids in `sent` (with their snippets); see
    sessions.record_sent."""
    sessions.record_sent(table, claimed.session, claimed.message_id, sent, window_told)


def release(table: Table, claimed: Claim) -> None:
    """Give the claim back, progress kept, so the message's retry can take it at once."""
    sessions.unlock_message(table, claimed.session.contact_id, claimed.message_id)


class Steps:
    """The steps of one claimed message, walked so that each is done once across retries."""

    def __init__(self, table: Table, claimed: Claim) -> None:
        self._table = table
        self._claim = claimed
        self.done = claimed.steps_done

    def pending(self, steps: Sequence[Step]) -> Iterator[Step]:
        """The steps an earlier attempt did not finish; each is recorded once its loop body ran.

        A single step is not recorded: completing the message says as much.
        """
        for index, step in enumerate(steps):
            if index < self.done:
                continue
            yield step
            if len(steps) > 1:
                step_done(self._table, self._claim, index + 1)
                self.done = index + 1


def with_session(claimed: Claim, session: Session) -> Claim:
    return replace(claimed, session=session)
