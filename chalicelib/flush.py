"""flush_buffer: a batch of the buffer's stream, grouped into conversations and delivered.

A conversation that Connect cannot take now waits (waiting.py) and its records count as handled;
only the records of a conversation whose state could not even be written are reported for retry."""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from . import buffer, logs
from .buffer import BufferedEntry, Nudge
from .config import Settings, SettingsError
from .delivery import ConversationDelivery
from .runtime import Runtime


def flush(event: dict, runtime: Runtime) -> dict:
    records_by_conversation: dict[str, list[BufferedEntry | Nudge]] = defaultdict(list)
    records = event.get("Records") if isinstance(event, dict) else None
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or record.get("eventName") != "INSERT":
            continue
        try:
            decoded = buffer.decode_stream_record(record)
        except buffer.MalformedRecord as error:
            logs.warning("malformed_stream_record_skipped", reason=str(error),
                         eventId=record.get("eventID"))
            continue
        records_by_conversation[decoded.conversation_id].append(decoded)
    if not records_by_conversation:
        return _failures([])
    try:
        settings = runtime.settings()
    except SettingsError as error:
        logs.error("settings_invalid", reason=str(error))
        return _failures(r for group in records_by_conversation.values() for r in group)
    groups = list(records_by_conversation.items())
    workers = max(1, min(settings.flush_concurrency, len(groups)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda group: _deliver_safely(*group, settings, runtime), groups))
    return _failures(record for (_, group), delivered in zip(groups, outcomes, strict=True)
                     if not delivered for record in group)


def _failures(records: Iterable[BufferedEntry | Nudge]) -> dict:
    return {"batchItemFailures": [{"itemIdentifier": r.sequence_number} for r in records]}


def _deliver_safely(conversation_id: str, records: list[BufferedEntry | Nudge], settings: Settings,
                    runtime: Runtime) -> bool:
    entries = sorted((r for r in records if isinstance(r, BufferedEntry)), key=lambda e: e.order)
    retrying = len(entries) < len(records)
    try:
        ConversationDelivery(conversation_id, entries, settings, runtime, retrying).run()
        return True
    except Exception:  # not even the wait could be recorded: the stream retries these records
        logs.exception("conversation_delivery_failed", conversationId=conversation_id,
                       messageIds=[e.message_id for e in entries])
        return False
