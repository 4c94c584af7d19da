"""Once-only processing of redelivered events, with records kept in the sessions table.

A record is claimed before the side effect and completed after it. A claim whose worker died
expires after the lock time, so the event's retry can take it over instead of losing it.
"""
from __future__ import annotations

import time
from typing import Any

RECORD_RETENTION_SECONDS = 24 * 3600
IN_PROGRESS = "in_progress"
COMPLETED = "completed"


def record_key(scope: str, event_id: str) -> str:
    return f"{scope}#{event_id}"


def claim(dynamodb: Any, table: str, key: str, lock_seconds: int,
          now: float | None = None) -> bool:
    """True when this caller may process the event; False when it was processed or is in progress."""
    now = time.time() if now is None else now
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                "contactId": {"S": key},
                "recordStatus": {"S": IN_PROGRESS},
                "lockedUntil": {"N": str(int(now) + lock_seconds)},
                "expiresAt": {"N": str(int(now) + RECORD_RETENTION_SECONDS)},
            },
            ConditionExpression=("attribute_not_exists(contactId) OR "
                                 "(recordStatus = :in_progress AND lockedUntil < :now)"),
            ExpressionAttributeValues={":in_progress": {"S": IN_PROGRESS},
                                       ":now": {"N": str(int(now))}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def complete(dynamodb: Any, table: str, key: str) -> None:
    dynamodb.update_item(
        TableName=table,
        Key={"contactId": {"S": key}},
        UpdateExpression="SET recordStatus = :completed REMOVE lockedUntil",
        ExpressionAttributeValues={":completed": {"S": COMPLETED}},
    )


def release(dynamodb: Any, table: str, key: str) -> None:
    """Give the claim back so the event's retry can process it."""
    dynamodb.delete_item(TableName=table, Key={"contactId": {"S": key}})
