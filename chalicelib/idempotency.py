"""Once-only processing of redelivered events, with records kept in the sessions table.

A record is claimed before the side effect and completed after it. A claim whose worker died
expires after the lock time, so the event's retry can take it over instead of losing it. An event
of several steps (a long text in chunks, several attachments) records each step, so a retry
resumes after the last one that reached the customer instead of sending it twice.
"""
from __future__ import annotations

import time
from typing import Any, Iterator, Sequence, TypeVar

Step = TypeVar("Step")

RECORD_RETENTION_SECONDS = 24 * 3600
IN_PROGRESS = "in_progress"
COMPLETED = "completed"


def record_key(scope: str, event_id: str) -> str:
    return f"{scope}#{event_id}"


def claim(dynamodb: Any, table: str, key: str, lock_seconds: int,
          now: float | None = None) -> int | None:
    """None when the event was processed or is in progress elsewhere. Otherwise the caller may
    process it, and gets how many of its steps an earlier, failed attempt already completed."""
    now = time.time() if now is None else now
    try:
        response = dynamodb.update_item(
            TableName=table,
            Key={"contactId": {"S": key}},
            UpdateExpression=("SET recordStatus = :in_progress, lockedUntil = :until, "
                              "expiresAt = if_not_exists(expiresAt, :expires)"),
            ConditionExpression=("attribute_not_exists(contactId) OR "
                                 "(recordStatus = :in_progress AND lockedUntil < :now)"),
            ExpressionAttributeValues={
                ":in_progress": {"S": IN_PROGRESS},
                ":until": {"N": str(int(now) + lock_seconds)},
                ":expires": {"N": str(int(now) + RECORD_RETENTION_SECONDS)},
                ":now": {"N": str(int(now))},
            },
            ReturnValues="ALL_NEW",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return None
    return int(response["Attributes"].get("stepsDone", {"N": "0"})["N"])


def step_done(dynamodb: Any, table: str, key: str, steps: int) -> None:
    """Remember progress, so a retry does not repeat the steps that already reached the customer."""
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": key}},
        UpdateExpression="SET stepsDone = :steps",
        ExpressionAttributeValues={":steps": {"N": str(steps)}},
    )


def complete(dynamodb: Any, table: str, key: str) -> None:
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": key}},
        UpdateExpression="SET recordStatus = :completed REMOVE lockedUntil",
        ExpressionAttributeValues={":completed": {"S": COMPLETED}},
    )


def release(dynamodb: Any, table: str, key: str) -> None:
    """Give the claim back, progress kept, so the event's retry can take it at once."""
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": key}},
        UpdateExpression="SET lockedUntil = :expired",
        ExpressionAttributeValues={":expired": {"N": "0"}},
    )


class Steps:
    """The steps of one claimed event, walked so that each is done once across retries."""

    def __init__(self, dynamodb: Any, table: str, key: str, done: int) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._key = key
        self.done = done

    def pending(self, steps: Sequence[Step]) -> Iterator[Step]:
        """The steps an earlier attempt did not finish; each is recorded once its loop body ran.

        A single step is not recorded: completing the event says as much.
        """
        for index, step in enumerate(steps):
            if index < self.done:
                continue
            yield step
            if len(steps) > 1:
                step_done(self._dynamodb, self._table, self._key, index + 1)
                self.done = index + 1
