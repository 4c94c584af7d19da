"""The metrics' part in `make bench`: where the run's EMF lines go, and what the emitter costs.

The handlers' EMF lines (chalicelib/metrics.py) are written to a file instead of stdout, where they
would bury the table; scripts/draw_dashboard.py draws the dashboard's picture from that file.
"""
from __future__ import annotations

import io
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METRIC_LINES = ROOT / "build" / "bench-metrics.jsonl"
SAMPLE_ORIGINATION = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75"
# What one import of the emitter costs on top of chalicelib.logs, which every handler imports anyway:
# CPU time, which a busy machine distorts least.
_IMPORT_PROBE = ("import time, chalicelib.logs; started = time.process_time(); import chalicelib.metrics; "
                 "print((time.process_time() - started) * 1000)")


def write_lines_to(path: Path = METRIC_LINES) -> None:
    """This run's EMF lines, one JSON document a line, into `path` (emptied first)."""
    from chalicelib import metrics

    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(path, mode="w", encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(message)s"))
    logger = metrics.get_logger()
    logger.handlers = [to_file]


def emitter_cost(invocations: int = 2000, imports: int = 7) -> dict[str, float]:
    """The median import of chalicelib.metrics in a fresh interpreter (CPU ms), and in µs: one
    recording, and one invocation's line (a flush's three metrics, formatted and written)."""
    from chalicelib import logs, metrics

    imported = [float(subprocess.run([sys.executable, "-c", _IMPORT_PROBE], cwd=ROOT, check=True,
                                     capture_output=True, text=True).stdout)
                for _ in range(imports)]
    logger = metrics.get_logger()
    kept, logger.handlers = logger.handlers, [logging.StreamHandler(io.StringIO())]
    try:
        bare = _per_invocation(logs, invocations, lambda: None)
        recorded = _per_invocation(logs, invocations, lambda: (
            metrics.count(metrics.CHATS_STARTED, SAMPLE_ORIGINATION),
            metrics.messages(metrics.INBOUND, SAMPLE_ORIGINATION, [time.time() - 1], time.time())))
        recordings_only = _recordings(metrics, invocations)
    finally:
        logger.handlers = kept
    return {"import_ms": statistics.median(imported), "recording_us": recordings_only,
            "invocation_us": recorded - bare}


def _per_invocation(logs, count: int, record) -> float:
    started = time.perf_counter()
    for _ in range(count):
        with logs.invocation(None, "bench"):
            record()
    return (time.perf_counter() - started) / count * 1e6


def _recordings(metrics, count: int) -> float:
    """µs per recording, within one invocation (nothing written until it ends)."""
    from chalicelib import logs

    with logs.invocation(None, "bench"):
        started = time.perf_counter()
        for _ in range(count):
            metrics.count(metrics.INBOUND_MESSAGES, SAMPLE_ORIGINATION)
        elapsed = time.perf_counter() - started
    return elapsed / count * 1e6


def render(cost: dict[str, float]) -> list[str]:
    return ["| metrics (EMF lines, chalicelib/metrics.py) | figure |", "|---|---|",
            f"| import, on top of chalicelib.logs (CPU time, median of fresh interpreters) | "
            f"{cost['import_ms']:.1f} ms |",
            f"| one recording (a count or a latency) | {cost['recording_us']:.1f} µs |",
            f"| an invocation's line: three metrics recorded, formatted, written | "
            f"{cost['invocation_us']:.0f} µs |"]
