"""The page's live metrics panel: the bridge's own CloudWatch embedded metric format lines, read in
the chalice local process as CloudWatch Logs would read them from the functions' logs.

chalicelib/metrics.py writes each EMF document as one JSON line through the
`whatsapp_connect_chat.metrics` logger. `LiveMetrics.attach` adds a handler to that logger (after
the product's own, so its lines still reach stdout), and each line's metrics are added up as a
dashboard would: Count metrics summed, WaitingConversations as its latest value (a level: the
dashboard reads its Maximum), latencies kept, the last few of each direction, for the panel.

A line whose metric is recorded under several dimension sets is one set of values (EMF: the same
values, aggregated per dimension set); the panel shows the bridge as a whole, so each line counts once.
"""
from __future__ import annotations

import collections
import json
import logging
import statistics
import threading
from typing import Any

from chalicelib import metrics

LATENCIES_KEPT = 10  # the last this many of each direction's latencies
LEVELS = frozenset({metrics.WAITING_CONVERSATIONS})


class LiveMetrics(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self._values_lock = threading.Lock()
        self._totals: dict[str, float] = {name: 0 for name, unit in metrics.UNITS.items()
                                          if unit == metrics.COUNT}
        self._latencies: dict[str, collections.deque[float]] = {
            name: collections.deque(maxlen=LATENCIES_KEPT)
            for name, unit in metrics.UNITS.items() if unit == metrics.MILLISECONDS}
        self.lines = 0

    def attach(self) -> LiveMetrics:
        """Listens to the bridge's metric lines in this process. The product's logger is set up
        first, as the product sets it up (its stdout handler, level and propagation)."""
        logger = metrics.get_logger()
        if self not in logger.handlers:
            logger.addHandler(self)
        return self

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.take(json.loads(record.getMessage()))
        except (TypeError, ValueError):
            return  # not an EMF line: nothing to count

    def take(self, document: Any) -> None:
        """Adds one EMF document's metric values."""
        if not isinstance(document, dict) or not isinstance(document.get("_aws"), dict):
            return
        names = {definition.get("Name") for directive in document["_aws"].get("CloudWatchMetrics") or []
                 for definition in directive.get("Metrics") or [] if isinstance(definition, dict)}
        with self._values_lock:
            self.lines += 1
            for name in names:
                values = _numbers(document.get(name))
                if name in self._latencies:
                    self._latencies[name].extend(values)
                elif name in LEVELS and values:
                    self._totals[name] = values[-1]
                elif name in self._totals:
                    self._totals[name] += sum(values)

    def snapshot(self) -> dict:
        """What the panel shows: each Count metric's total (a level's latest value), and each
        latency's last values, oldest first, with their median."""
        with self._values_lock:
            totals = dict(self._totals)
            latencies = {name: list(values) for name, values in self._latencies.items()}
        return {"lines": self.lines, "totals": totals,
                "latencies": {name: {"last": values, "median": statistics.median(values) if values else None}
                              for name, values in latencies.items()}}


def _numbers(value: Any) -> list[float]:
    """An EMF value is a number or an array of numbers."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]

