"""The waiting room: conversations Amazon Connect cannot take now, and how they are retried.

A conversation whose delivery fails for a reason of Connect's (its chats full, a rate exceeded, a
5xx, a chat failing) waits: its messages stay in the buffer table and in the conversation item's
attempts, the flush reports success for them, and the stream moves on, so no other conversation
waits for it and nothing reaches the stream's failure queue. The conversation item records the
wait; a sparse index (WaitingIndex: every waiting conversation under one key, oldest first) lists
them.

A waiting conversation is tried again by a retry item written into its buffer partition (see
buffer.py), so the retry runs in the flush, in order with the conversation's own messages:
- by `retry_waiting`, on a schedule, for each conversation whose next attempt is due;
- when one of the bridge's chats ends, for the oldest waiting conversation (a chat was freed);
- when a waiting conversation got its chat, for the next oldest (Connect has room again).
A customer who writes while waiting joins the wait; their message is tried at once only when the
wait's next attempt is due.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import buffer, failures, logs, metrics
from .config import Settings
from .digests import short_digest
from .tables import N, S, Table, from_attributes
from .runtime import Runtime
from .sessions import Wait, conversation_key

INDEX_NAME = "WaitingIndex"
WAITING_ROOM = "waiting"
# Backoff for throttling and failures doubles from busy_retry_seconds up to this.
MAX_BACKOFF_SECONDS = 600
# How many of the oldest capacity waits one scheduled pass retries: more would only be refused
# while Connect is full, and each refusal spends StartChatContact's rate.
CAPACITY_PROBES_PER_PASS = 5
# Waiting conversations one scheduled pass reads, oldest first.
PASS_LIMIT = 200
# Chats that end or open together each let in a different customer: the oldest few are read, and
# each is asked for once; an ask whose retry never came (its writer died) lapses after this.
RETRY_CANDIDATES = 10
RETRY_ASK_SECONDS = 30
# Items a query with a filter reads per page: the filter applies after the page's Limit, so a small
# page behind many other waits would take a query per item or two.
FILTERED_PAGE = 100


@dataclass(frozen=True)
class Waiting:
    conversation_id: str
    next_attempt_at: int
    reason: str


def next_attempt_at(reason: str, attempts: int, now: float, retry_seconds: int,
                    conversation_id: str) -> int:
    """Capacity is retried every `retry_seconds` (a freed chat retries at once anyway); throttling
    and failures back off exponentially, each conversation offset by a fixed share of its own so
    that conversations refused together are not retried together."""
    if reason == failures.CAPACITY:
        return int(now) + retry_seconds
    backoff = min(retry_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    spread = int(short_digest(conversation_id, 4), 16) / 0xFFFF * 0.25
    return int(now + backoff * (1 + spread))


def has_expired(wait: Wait, now: float, settings: Settings) -> bool:
    return now - wait.since >= settings.busy_max_wait_minutes * 60


def hold(table: Table, conversation_id: str, wait: Wait | None, reason: str,
         now: float, settings: Settings, busy_told: bool, remembered_longer: bool) -> None:
    """Record (or extend) the wait after a failed attempt."""
    attempts = (wait.attempts if wait else 0) + 1
    since = wait.since if wait else int(now)
    next_at = next_attempt_at(reason, attempts, now, settings.busy_retry_seconds, conversation_id)
    expression = ("SET waitingRoom = :room, waitingSince = :since, nextAttemptAt = :next, "
                  "waitAttempts = :attempts, waitReason = :reason")
    # The retry that was asked for has come: the conversation may be asked for again.
    removal = " REMOVE retryAskedAt"
    values = {":room": S(WAITING_ROOM), ":since": N(since), ":next": N(next_at),
              ":attempts": N(attempts), ":reason": S(reason)}
    if not remembered_longer:
        # Remembered while the wait may last, and a day after, like any conversation. One kept
        # longer already (an open chat, past chats for the next one's history, a campaign) keeps
        # its memory: a wait never shortens it.
        expression += ", expiresAt = :expires"
        values[":expires"] = N(since + settings.busy_max_wait_minutes * 60 + 24 * 3600)
    if busy_told and not (wait and wait.busy_told):
        expression += ", busyToldAt = :now"
        values[":now"] = N(now)
    table.client.update_item(TableName=table.name, Key={"contactId": S(conversation_key(conversation_id))},
                             UpdateExpression=expression + removal, ExpressionAttributeValues=values)


def oldest(table: Table, limit: int, reason: str = "") -> list[Waiting]:
    """Waiting conversations (for `reason` only, when given), oldest wait first. The index is
    eventually consistent: one that has just left may still be listed, and its retry finds
    nothing to do."""
    found: list[Waiting] = []
    request: dict[str, Any] = {
        "TableName": table.name, "IndexName": INDEX_NAME,
        "KeyConditionExpression": "waitingRoom = :room",
        "ExpressionAttributeValues": {":room": S(WAITING_ROOM)},
        "ScanIndexForward": True, "Limit": limit,
    }
    if reason:
        request["FilterExpression"] = "waitReason = :reason"
        request["ExpressionAttributeValues"][":reason"] = S(reason)
        request["Limit"] = max(limit, FILTERED_PAGE)
    while len(found) < limit:
        response = table.client.query(**request)
        for item in map(from_attributes, response.get("Items", [])):
            found.append(Waiting(item["contactId"].removeprefix(conversation_key("")),
                                 int(item.get("nextAttemptAt", 0)), item.get("waitReason", "")))
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return found[:limit]


def retry_due(runtime: Runtime) -> dict[str, int]:
    """retry_waiting: a retry for each conversation whose next attempt is due, oldest first; of
    those waiting for Connect's capacity, only the oldest few."""
    now = runtime.clock()
    waiting = oldest(runtime.sessions_table, PASS_LIMIT)
    due = [w for w in waiting if w.next_attempt_at <= now]
    capacity = [w for w in due if w.reason == failures.CAPACITY][:CAPACITY_PROBES_PER_PASS]
    chosen = [w for w in due if w.reason != failures.CAPACITY or w in capacity]
    for conversation in chosen:
        buffer.put_nudge(runtime.buffer_table, conversation.conversation_id, now, "scheduled")
    logs.info("waiting_conversations_retried", waiting=len(waiting), due=len(due), retried=len(chosen))
    metrics.level(metrics.WAITING_CONVERSATIONS, len(waiting))
    return {"waiting": len(waiting), "retried": len(chosen)}


def retry_oldest(runtime: Runtime, purpose: str, exclude: str = "") -> None:
    """Connect has room for a chat (one ended, or one just opened from the wait): the oldest
    conversation waiting for one that no other retry was asked for is tried now, whatever its
    next attempt."""
    table, now = runtime.sessions_table, runtime.clock()
    for candidate in oldest(table, RETRY_CANDIDATES, failures.CAPACITY):
        if candidate.conversation_id != exclude and _ask_retry(table, candidate.conversation_id, now):
            buffer.put_nudge(runtime.buffer_table, candidate.conversation_id, now, purpose)
            logs.info("waiting_conversation_retried", conversationId=candidate.conversation_id,
                      reason=purpose)
            return


def _ask_retry(table: Table, conversation_id: str, now: float) -> bool:
    """Take the conversation's next retry for this caller; False when another caller has it."""
    return table.update_if(
        Key={"contactId": S(conversation_key(conversation_id))},
        UpdateExpression="SET retryAskedAt = :now",
        ConditionExpression=("attribute_exists(waitingRoom) AND "
                             "(attribute_not_exists(retryAskedAt) OR retryAskedAt < :lapsed)"),
        ExpressionAttributeValues={":now": N(now),
                                   ":lapsed": N(int(now) - RETRY_ASK_SECONDS)}) is not None
