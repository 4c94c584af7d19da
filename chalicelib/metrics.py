"""Metrics with no AWS call: CloudWatch embedded metric format (EMF) lines in the function's own log.

CloudWatch Logs reads a JSON line whose `_aws` member names a namespace, dimension sets and metrics,
and records the line's values as metrics ("Specification: Embedded metric format", CloudWatch User
Guide). An invocation's recordings are summed (counts) or gathered (latencies) as they happen and
written when it ends (logs.invocation, also when the handler raises): one line for each business
number the invocation served, and one for the bridge as a whole (WaitingConversations).

Each metric has two dimension sets: `PhoneNumberId`, End User Messaging Social's id of the business
number (`phone-number-id-…`, which AWS mints: never the number itself), and none, so a dashboard sums
every number without knowing them. No customer id, message id or text ever reaches a line.

The lines go to their own logger, bare (`whatsapp_connect_chat.metrics`, level INFO whatever the
stage's LOG_LEVEL), so a stage logging only errors still has its metrics, and the sandbox's panel
reads them by attaching a handler to that logger.
"""
from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Iterable

from . import logs

NAMESPACE = "WhatsAppConnectBridge"
LOGGER_NAME = "whatsapp_connect_chat.metrics"
DIMENSION = "PhoneNumberId"
COUNT = "Count"
MILLISECONDS = "Milliseconds"

INBOUND_MESSAGES = "InboundMessages"
INBOUND_LATENCY = "InboundLatency"
OUTBOUND_MESSAGES = "OutboundMessages"
OUTBOUND_LATENCY = "OutboundLatency"
CHATS_STARTED = "ChatsStarted"
WAITING_CONVERSATIONS = "WaitingConversations"
DELIVERY_FAILURES = "DeliveryFailures"
WINDOW_CLOSED_REFUSALS = "WindowClosedRefusals"
TEMPLATES_SENT = "TemplatesSent"
UNITS = {
    INBOUND_MESSAGES: COUNT, INBOUND_LATENCY: MILLISECONDS, OUTBOUND_MESSAGES: COUNT,
    OUTBOUND_LATENCY: MILLISECONDS, CHATS_STARTED: COUNT, WAITING_CONVERSATIONS: COUNT,
    DELIVERY_FAILURES: COUNT, WINDOW_CLOSED_REFUSALS: COUNT, TEMPLATES_SENT: COUNT,
}
# A message that reached the other side, and how long it took: each direction's pair.
INBOUND = (INBOUND_MESSAGES, INBOUND_LATENCY)
OUTBOUND = (OUTBOUND_MESSAGES, OUTBOUND_LATENCY)
# The specification's limit on one metric's values in one line; more go on further lines.
MAX_VALUES = 100
# A metric of the bridge as a whole is recorded under no business number.
WHOLE_BRIDGE = ""
UNKNOWN_NUMBER = "unknown"
# SendWhatsAppMessage's originationPhoneNumberId: the id, or its ARN ending phone-number-id/<id>.
_PHONE_NUMBER_ID = re.compile(r"(?:^phone-number-id-|:phone-number-id/)([0-9A-Za-z]+)$")


@functools.lru_cache(maxsize=256)  # a deployment has a handful of business numbers
def phone_number_id(origination_id: str) -> str:
    """End User Messaging Social's id of a business number, from the id or its ARN."""
    found = _PHONE_NUMBER_ID.search(origination_id or "")
    return f"phone-number-id-{found.group(1)}" if found else UNKNOWN_NUMBER


@dataclass
class Recorded:
    """One invocation's recordings, by business number and metric name."""

    counts: dict[tuple[str, str], float] = field(default_factory=dict)
    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def numbers(self) -> list[str]:
        return list(dict.fromkeys(number for number, _ in [*self.counts, *self.values]))


_lock = threading.Lock()
_recorded: dict[logs.Invocation | None, Recorded] = {}


def count(name: str, origination_id: str, value: float = 1) -> None:
    """`value` more of a Count metric, for the business number that sends or receives as
    `origination_id` (the phone-number-id or its ARN); none more records nothing."""
    if value:
        _add(name, phone_number_id(origination_id), value, gathered=False)


def messages(direction: tuple[str, str], origination_id: str, written_at: Iterable[float],
             now: float) -> None:
    """Messages that reached the other side now (INBOUND or OUTBOUND), each written at its
    `written_at` (epoch seconds; 0 when not known): how many, and each known one's latency."""
    written_at = list(written_at)
    count(direction[0], origination_id, len(written_at))
    for moment in written_at:
        if moment:
            elapsed(direction[1], origination_id, moment, now)


def elapsed(name: str, origination_id: str, since: float, now: float) -> None:
    """A latency: the milliseconds from `since` to `now` (epoch seconds)."""
    _add(name, phone_number_id(origination_id), max(0, round((now - since) * 1000)), gathered=True)


def level(name: str, value: float) -> None:
    """How many there are now, of the bridge as a whole (a dashboard reads its Maximum)."""
    _add(name, WHOLE_BRIDGE, value, gathered=False)


def _add(name: str, number: str, value: float, gathered: bool) -> None:
    """A count is summed over the invocation; a latency's values are each kept, for percentiles."""
    invocation = logs.current_invocation()
    with _lock:
        recorded = _recorded.setdefault(invocation, Recorded())
        if gathered:
            recorded.values.setdefault((number, name), []).append(value)
        else:
            recorded.counts[(number, name)] = recorded.counts.get((number, name), 0) + value
    if invocation is None:  # outside any handler (a script): nothing will end it, so write now
        _flush(None)


def documents(recorded: Recorded, timestamp_ms: int, properties: dict[str, object]) -> list[dict]:
    """The EMF documents for what an invocation recorded: pure, for the flush and the tests."""
    found = []
    for number in recorded.numbers():
        counts = {name: value for (n, name), value in recorded.counts.items() if n == number}
        values = {name: list(gathered) for (n, name), gathered in recorded.values.items() if n == number}
        while counts or values:
            line = {**counts, **{name: gathered[:MAX_VALUES] for name, gathered in values.items()}}
            found.append(_document(number, line, timestamp_ms, properties))
            counts = {}
            values = {name: gathered[MAX_VALUES:] for name, gathered in values.items()
                      if len(gathered) > MAX_VALUES}
    return found


def _document(number: str, line: dict[str, object], timestamp_ms: int,
              properties: dict[str, object]) -> dict:
    dimension_sets: list[list[str]] = [[DIMENSION], []] if number != WHOLE_BRIDGE else [[]]
    document: dict[str, object] = {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [{
        "Namespace": NAMESPACE, "Dimensions": dimension_sets,
        "Metrics": [{"Name": name, "Unit": UNITS[name]} for name in line]}]}}
    if number != WHOLE_BRIDGE:
        document[DIMENSION] = number
    return {**document, **line, **properties}


def _flush(invocation: logs.Invocation | None) -> None:
    with _lock:
        recorded = _recorded.pop(invocation, None)
    if recorded is None:
        return
    properties: dict[str, object] = {}
    if invocation is not None:
        properties = {"function": invocation.function_name, "coldStart": invocation.cold_start}
        if invocation.request_id is not None:
            properties["requestId"] = invocation.request_id
    logger = get_logger()
    for document in documents(recorded, int(time.time() * 1000), properties):
        logger.info(json.dumps(document, separators=(",", ":")))


def get_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        stdout = logs.StdoutHandler()
        stdout.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(stdout)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


logs.at_invocation_end(_flush)
