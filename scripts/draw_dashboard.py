"""Draws the CloudWatch dashboard's bridge graphs from a `make bench` run's metric lines.

    .venv/bin/python scripts/draw_dashboard.py [build/bench-metrics.jsonl ...] [--out docs/dashboard.png]

The lines are the EMF documents the handlers wrote (bench/emf.py keeps them in
build/bench-metrics.jsonl). CloudWatch would aggregate them the same way: each metric's values over
a period, summed (counts), their p50 and p99 (latencies) or their maximum (the waiting room), for
all business numbers (the dimension set without one) or for each PhoneNumberId. The dashboard's
AWS/Lambda, SQS and stream graphs come from CloudWatch's own metrics and are not drawn here.
"""
from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: the picture goes to a file
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "WhatsAppConnectBridge"
# About this many periods across the run, each a whole number of seconds (CloudWatch's finest
# period for standard-resolution metrics is 60 s; a bench run is minutes long).
PERIODS = 60


def points(lines: list[str]) -> list[tuple[float, str, str, float]]:
    """(seconds, PhoneNumberId or "", metric, value) for every value of every EMF line."""
    found = []
    for line in lines:
        document = json.loads(line)
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            if directive["Namespace"] != NAMESPACE:
                continue
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                for value in values if isinstance(values, list) else [values]:
                    found.append((document["_aws"]["Timestamp"] / 1000,
                                  document.get("PhoneNumberId", ""), metric["Name"], value))
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def series(found, metric: str, statistic, period: float, start: float, number: str | None = None):
    """One line of a graph: (minutes into the run, statistic) for each period that has values."""
    by_period = defaultdict(list)
    for moment, phone_number_id, name, value in found:
        if name == metric and number in (None, phone_number_id):
            by_period[int((moment - start) // period)].append(value)
    ordered = sorted(by_period)
    return [index * period / 60 for index in ordered], [statistic(by_period[i]) for i in ordered]


def draw(found, out: Path) -> None:
    start = min(p[0] for p in found)
    period = max(1, math.ceil((max(p[0] for p in found) - start) / PERIODS))
    p50, p99 = (lambda v: percentile(v, 0.5)), (lambda v: percentile(v, 0.99))
    figure, axes = plt.subplots(3, 2, figsize=(14, 11), sharex=True, constrained_layout=True)
    panels = [
        ("Messages each way (all business numbers, Sum)",
         [("customer to agent (InboundMessages)", "InboundMessages", sum, None),
          ("agent to customer (OutboundMessages)", "OutboundMessages", sum, None)]),
        ("Latency each way, p50 and p99 (ms)",
         [("customer to agent p50", "InboundLatency", p50, None),
          ("customer to agent p99", "InboundLatency", p99, None),
          ("agent to customer p50", "OutboundLatency", p50, None),
          ("agent to customer p99", "OutboundLatency", p99, None)]),
        ("Customer messages per business number (PhoneNumberId, Sum)",
         [(number, "InboundMessages", sum, number)
          for number in sorted({p[1] for p in found if p[1] and p[2] == "InboundMessages"})]),
        ("Chats started (Sum), conversations waiting for Connect (Maximum)",
         [("ChatsStarted", "ChatsStarted", sum, None),
          ("WaitingConversations (max)", "WaitingConversations", max, None)]),
        ("Failures and the 24-hour window (Sum)",
         [("DeliveryFailures", "DeliveryFailures", sum, None),
          ("WindowClosedRefusals", "WindowClosedRefusals", sum, None),
          ("TemplatesSent", "TemplatesSent", sum, None)]),
    ]
    for axis, (title, lines) in zip(axes.flat, panels):
        for label, metric, statistic, number in lines:
            minutes, values = series(found, metric, statistic, period, start, number)
            if values:
                axis.plot(minutes, values, marker=".", linewidth=1.2, label=label)
        if "Latency" in metric:  # a slow outlier would flatten every other value
            axis.set_yscale("log", nonpositive="mask")  # a 0 ms value is left out, not drawn at -∞
        axis.set_title(title, fontsize=10)
        axis.set_xlabel(f"minutes into the bench run ({period} s periods)", fontsize=8)
        axis.xaxis.set_tick_params(labelbottom=True)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="upper right")
    note = axes.flat[-1]
    note.axis("off")
    note.text(0.02, 0.5, "Also on the dashboard, from CloudWatch's own metrics:\n"
              "• the failure queues' depth (SQS)\n• the buffer stream's iterator age\n"
              "• Lambda errors and throttles per function", fontsize=10, va="center")
    figure.suptitle(f"{NAMESPACE}: the dashboard's bridge graphs, drawn from a make bench run's "
                    "EMF lines", fontsize=12)
    figure.savefig(out, dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lines", nargs="*", type=Path, default=[ROOT / "build" / "bench-metrics.jsonl"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    args = parser.parse_args()
    found = points([line for path in args.lines for line in path.read_text().splitlines() if line.strip()])
    if not found:
        raise SystemExit(f"no {NAMESPACE} metric lines in {', '.join(map(str, args.lines))}")
    draw(found, args.out)
    print(f"{args.out}: {len(found)} values")


if __name__ == "__main__":
    main()
