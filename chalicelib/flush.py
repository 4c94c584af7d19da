"""flush_buffer: a batch of the buffer's stream, grouped into conversations and delivered.

Only the records of conversations that failed are reported for retry."""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from . import buffer, logs
from .buffer import BufferedEntry
from .config import Settings, SettingsError
from .delivery import ConversationDelivery
from .runtime import Runtime


def flush(event: dict, runtime: Runtime) -> dict:
    entries: list[BufferedEntry] = []
    records = event.get("Records") if isinstance(event, dict) else None
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or record.get("eventName") != "INSERT":
            continue
        try:
            entries.append(buffer.decode_stream_record(record))
        except buffer.MalformedRecord as error:
            logs.warning("malformed_stream_record_skipped", reason=str(error),
                         eventId=record.get("eventID"))
    if not entries:
        return _failures([])
    try:
        settings = runtime.settings()
    except SettingsError as error:
        logs.error("settings_invalid", reason=str(error))
        return _failures(entries)
    conversations: dict[str, list[BufferedEntry]] = defaultdict(list)
    for entry in entries:
        conversations[entry.conversation_id].append(entry)
    for group in conversations.values():
        group.sort(key=lambda e: e.order)
    workers = max(1, min(settings.flush_concurrency, len(conversations)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda group: _deliver_safely(group, settings, runtime),
                                 conversations.values()))
    return _failures(entry for group, delivered in zip(conversations.values(), outcomes, strict=True)
                     if not delivered for entry in group)


def _failures(entries: Iterable[BufferedEntry]) -> dict:
    return {"batchItemFailures": [{"itemIdentifier": e.sequence_number} for e in entries]}


def _deliver_safely(entries: list[BufferedEntry], settings: Settings, runtime: Runtime) -> bool:
    try:
        ConversationDelivery(entries, settings, runtime).run()
        return True
    except Exception:  # one conversation's failure must not fail the batch
        logs.exception("conversation_delivery_failed", conversationId=entries[0].conversation_id,
                       messageIds=[e.message_id for e in entries])
        return False
