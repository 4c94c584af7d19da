"""make bench: what each message costs in AWS calls, latency, throughput, cold start and size.

Runs the real handlers in this process against the AWS twin in a separate process (so this
process's CPU time is the bridge's own), with a simulated latency on every AWS call. Prints one
Markdown table; `--record FILE` also writes it, with the date and machine, into FILE.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scenarios import FLOWS, Scenario, TwinClient  # noqa: E402

MARKER_START = "<!-- bench:start -->"
MARKER_END = "<!-- bench:end -->"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_twin(latency_ms: float) -> tuple[subprocess.Popen, dict[str, str]]:
    command = [sys.executable, "-m", "emulator", "--moto-port", str(free_port()),
               "--emulator-port", str(free_port()), "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    endpoints: dict[str, str] = {}
    while len(endpoints) < 9:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the twin exited before it was ready")
        name, _, value = line.strip().partition("=")
        endpoints[name] = value
    # Keep reading whatever else the twin prints, so a full pipe never blocks it.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process, endpoints


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_flows(scenario: Scenario, repeats: int) -> list[dict]:
    rows = []
    for flow in FLOWS:
        walls, cpus, delivered, counts = [], [], [], None
        for _ in range(repeats):
            result = flow.run(scenario)
            walls.append(result.wall_ms)
            cpus.append(result.cpu_ms)
            delivered.append(result.delivered_ms)
            counts = result
        rows.append({
            "flow": flow.title,
            "critical": counts.critical, "off": counts.off,
            "wall_median": statistics.median(walls), "wall_p95": percentile(walls, 0.95),
            "cpu_median": statistics.median(cpus),
            "delivered_median": statistics.median(delivered),
        })
    return rows


def measure_cold_starts(endpoints: dict[str, str], scenario: Scenario) -> list[dict]:
    rows = []
    for handler, event in scenario.first_events().items():
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump(event, file)
        probe = subprocess.run(
            [sys.executable, "-m", "bench.cold_start", handler, file.name],
            cwd=ROOT, env={**os.environ, **endpoints}, capture_output=True, text=True, check=True)
        os.unlink(file.name)
        rows.append({"handler": handler, **json.loads(probe.stdout.strip().splitlines()[-1])})
    return rows


def measure_package() -> dict:
    with tempfile.TemporaryDirectory() as out:
        chalice = Path(sys.executable).with_name("chalice")
        subprocess.run([str(chalice), "package", "--stage", "dev", out], cwd=ROOT, check=True,
                       capture_output=True)
        archive = Path(out) / "deployment.zip"
        with zipfile.ZipFile(archive) as bundle:
            parts: dict[str, int] = {}
            for info in bundle.infolist():
                top = info.filename.split("/", 1)[0]
                parts[top] = parts.get(top, 0) + info.file_size
            unzipped = sum(parts.values())
        return {"zip": archive.stat().st_size, "unzipped": unzipped,
                "largest": sorted(parts.items(), key=lambda item: -item[1])[:6],
                "ffmpeg": (ROOT / "vendor" / "ffmpeg").stat().st_size}


def mb(size: float) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def render(args, flows, throughput, cold, package, voice) -> str:
    lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node() or 'host'}: "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; simulated AWS latency {args.latency_ms:g} ms per call; "
             f"{args.repeats} runs per flow.", "",
             "| flow | AWS calls on the critical path | off it | delivered after (median) | "
             "handler wall median | p95 | bridge CPU |",
             "|---|---|---|---|---|---|---|"]
    for row in flows:
        lines.append(f"| {row['flow']} | {len(row['critical'])}: {', '.join(row['critical'])} | "
                     f"{len(row['off'])}: {', '.join(row['off']) or '-'} | {row['delivered_median']:.0f} ms | "
                     f"{row['wall_median']:.0f} ms | "
                     f"{row['wall_p95']:.0f} ms | {row['cpu_median']:.1f} ms |")
    lines += ["", "| flush throughput | figure |", "|---|---|",
              f"| {throughput['messages']} messages from {throughput['conversations']} conversations, "
              f"one batch | {throughput['batch_ms']:.0f} ms ({throughput['messages'] / throughput['batch_ms'] * 1000:.0f} "
              f"messages/s) |",
              f"| the same messages one by one | {throughput['single_ms']:.0f} ms |",
              f"| ratio | {throughput['single_ms'] / throughput['batch_ms']:.1f}× faster in one batch |",
              "", "| cold start (fresh process) | import app | first event | peak memory |", "|---|---|---|---|"]
    for row in cold:
        lines.append(f"| {row['handler']} | {row['import_ms']:.0f} ms | {row['first_event_ms']:.0f} ms | "
                     f"{row['peak_rss_mb']:.0f} MB |")
    largest = ", ".join(f"{name} {mb(size)}" for name, size in package["largest"])
    lines += ["", "| size | figure |", "|---|---|",
              f"| deployment zip (`chalice package`) | {mb(package['zip'])} |",
              f"| unzipped | {mb(package['unzipped'])}; largest parts: {largest} |",
              f"| vendored ffmpeg | {mb(package['ffmpeg'])} ({package['ffmpeg']:,} bytes) |",
              "", "| voice notes | figure |", "|---|---|",
              f"| ogg/opus → 16 kHz wav, per minute of audio (median of {len(voice)}) | "
              f"{statistics.median(voice):.0f} ms |"]
    return "\n".join(lines)


def record(path: Path, table: str) -> None:
    text = path.read_text()
    pattern = re.compile(re.escape(MARKER_START) + ".*?" + re.escape(MARKER_END), re.S)
    path.write_text(pattern.sub(lambda _: f"{MARKER_START}\n{table}\n{MARKER_END}", text))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--per-conversation", type=int, default=5)
    parser.add_argument("--record", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()

    # The bridge's own JSON log lines would bury the table.
    logging.getLogger("whatsapp_connect_chat").disabled = True
    process, endpoints = start_twin(args.latency_ms)
    try:
        os.environ.update(endpoints)
        scenario = Scenario(TwinClient(endpoints["AWS_ENDPOINT_URL_CONNECT"]))
        flows = measure_flows(scenario, args.repeats)
        throughput = scenario.throughput(args.conversations, args.per_conversation)
        cold = measure_cold_starts(endpoints, scenario)
        voice = scenario.voice_conversion_ms(runs=5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    package = measure_package()
    table = render(args, flows, throughput, cold, package, voice)
    print(table)
    if args.record:
        record(args.record, table)


if __name__ == "__main__":
    main()
