"""Once-only sending of a Connect message to WhatsApp, recorded on the chat's own session item.

Claiming and reading the session are one conditional write, and completing and remembering what
was sent are one more, so an agent reply costs one DynamoDB call before the send and one after.

A claim whose worker died expires after the lock time; until then a redelivery raises
ClaimInProgress, so Lambda retries it later instead of dropping it. A message of several steps (a
long text in chunks, several attachments) records each step, so a retry resumes after the last
one that reached the customer.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator, Sequence, TypeVar

from botocore.exceptions import ClientError

from .errors import condition_failed
from .items import N, S, Table, from_attributes
from .sessions import Session

Step = TypeVar("Step")

COMPLETED_IDS = "completedMessageIds"
SENT_SNIPPETS_KEPT = 20


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


def _lock_attribute(message_id: str) -> str:
    return f"lock#{message_id}"


def _steps_attribute(message_id: str) -> str:
    return f"steps#{message_id}"


def claim(table: Table, contact_id: str, message_id: str, lock_seconds: int,
          now: float) -> Claim:
    """Take the message for sending and read its session, in one write."""
    try:
        response = table.client.update_item(
            TableName=table.name,
            Key={"contactId": S(contact_id)},
            UpdateExpression="SET #lock = :until",
            ConditionExpression=("attribute_exists(systemNumber) AND NOT contains(#completed, :id) "
                                 "AND (attribute_not_exists(#lock) OR #lock < :now)"),
            ExpressionAttributeNames={"#lock": _lock_attribute(message_id),
                                      "#completed": COMPLETED_IDS},
            ExpressionAttributeValues={":until": N(int(now) + lock_seconds), ":now": N(now),
                                       ":id": S(message_id)},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not condition_failed(error):
            raise
        old = from_attributes(error.response.get("Item") or {})
        if "systemNumber" not in old:
            raise UnknownSession(contact_id) from None
        if message_id in old.get(COMPLETED_IDS, ()):
            raise AlreadySent(message_id) from None
        raise ClaimInProgress(message_id, int(old.get(_lock_attribute(message_id), 0))) from None
    item = from_attributes(response["Attributes"])
    return Claim(Session.from_item(item), message_id, int(item.get(_steps_attribute(message_id), 0)),
                 frozenset(item.get(COMPLETED_IDS, ())))


def step_done(table: Table, claimed: Claim, steps: int) -> None:
    table.client.update_item(
        TableName=table.name,
        Key={"contactId": S(claimed.session.contact_id)},
        UpdateExpression="SET #steps = :steps",
        ExpressionAttributeNames={"#steps": _steps_attribute(claimed.message_id)},
        ExpressionAttributeValues={":steps": N(steps)},
    )


def complete(table: Table, claimed: Claim, sent: dict[str, str],
             window_told: dict[str, int] | None = None) -> None:
    """Mark the message sent and remember the WhatsApp ids it became (with a snippet, so a
    customer's reply or reaction can name it, and the Connect message, so a status can name it
    without its callback data), and what the agent was told of the window (`window_told`:
    session attribute -> the window's customer message time), in one write. Sets make
    concurrent completions safe."""
    names = {"#completed": COMPLETED_IDS, "#lock": _lock_attribute(claimed.message_id),
             "#steps": _steps_attribute(claimed.message_id)}
    values: dict[str, Any] = {":id": {"SS": [claimed.message_id]}}
    assignments = []
    for index, (attribute, wrote_at) in enumerate((window_told or {}).items()):
        names[f"#told{index}"] = attribute
        values[f":told{index}"] = N(wrote_at)
        assignments.append(f"#told{index} = :told{index}")
    for index, (whatsapp_id, snippet) in enumerate(sent.items()):
        names[f"#sent{index}"] = whatsapp_id
        values[f":snippet{index}"] = S(snippet)
        assignments.append(f"sentSnippets.#sent{index} = :snippet{index}")
    if sent:
        assignments += _sent_messages(claimed, sent, values)
    # An agent whose reply went out has read what the customer wrote before (reading.read_on_reply).
    removals = ["#lock", "#steps"] + (
        ["unreadMessageId"] if sent and claimed.session.unread_message_id else [])
    stale = list(claimed.session.sent_snippets)[:max(0, len(claimed.session.sent_snippets)
                                                      + len(sent) - SENT_SNIPPETS_KEPT)]
    for index, whatsapp_id in enumerate(stale):
        names[f"#stale{index}"] = whatsapp_id
        removals.append(f"sentSnippets.#stale{index}")
    known = claimed.session.sent_messages or {}
    for index, whatsapp_id in enumerate(list(known)[:max(0, len(known) + len(sent) - SENT_SNIPPETS_KEPT)]):
        names[f"#old{index}"] = whatsapp_id
        removals.append(f"sentMessages.#old{index}")
    expression = "ADD #completed :id REMOVE " + ", ".join(removals)
    if assignments:
        expression = "SET " + ", ".join(assignments) + " " + expression
    table.client.update_item(
        TableName=table.name, Key={"contactId": S(claimed.session.contact_id)},
        UpdateExpression=expression, ExpressionAttributeNames=names,
        ExpressionAttributeValues=values)


def _sent_messages(claimed: Claim, sent: dict[str, str], values: dict[str, Any]) -> list[str]:
    """The assignments that map each WhatsApp id (`#sent<n>`) to the Connect message it carried.
    A session stored before the bridge kept the map gets it whole (of two such completions at
    once, one's ids are kept)."""
    if claimed.session.sent_messages is None:
        values[":messages"] = {"M": {whatsapp_id: S(claimed.message_id) for whatsapp_id in sent}}
        return ["sentMessages = :messages"]
    values[":connect"] = S(claimed.message_id)
    return [f"sentMessages.#sent{index} = :connect" for index in range(len(sent))]


def release(table: Table, claimed: Claim) -> None:
    """Give the claim back, progress kept, so the message's retry can take it at once."""
    table.client.update_item(
        TableName=table.name,
        Key={"contactId": S(claimed.session.contact_id)},
        UpdateExpression="SET #lock = :expired",
        ExpressionAttributeNames={"#lock": _lock_attribute(claimed.message_id)},
        ExpressionAttributeValues={":expired": N(0)},
    )


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
