"""make bench: what each message costs in AWS calls, latency, throughput, cold start and size.

Runs the real handlers in this process against the AWS twin in a separate process (so this
process's CPU time is the bridge's own), with a simulated latency on every AWS call. Prints one
Markdown table; `--record FILE` also writes it, with the date and machine, into FILE.

The cold-start and size rows measure the deployment zip itself: `chalice package`, unzipped
read-only as Lambda's /var/task is, each handler imported and run by an interpreter that sees only
the package and the standard library; twice, without and with the compiled modules
scripts/compile_bytecode.py adds. `--baseline REVISION` builds and measures that git revision's
package in the same run too; `--part package` runs only those rows.

The surge (bench/surge.py) runs a thousand new customers against Connect's limits in real time, on
a twin of its own; `--part surge` runs only it (several minutes).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cost, emf, read_only, surge  # noqa: E402
from bench.scenarios import (  # noqa: E402
    AGENT_REPLY, FLOWS, SAMPLE_AGENT_REPLY, Scenario, TwinClient,
)
from emulator.reference_events import REFERENCE_CLOCK_START  # noqa: E402

# BENCHMARKS.md sections: the flows (`all` and `flows`), the package (`all` and `package`) and the
# surge (`all` and `surge`).
SECTIONS = {"flows": "bench", "package": "bench:package", "surge": "bench:surge"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_twin(latency_ms: float, module: str = "emulator") -> tuple[subprocess.Popen, dict[str, str]]:
    # The twin's clock starts after the reference events, as in the tests: the customers' WhatsApp
    # timestamps are of 2025, and the 24-hour window is measured from them. `module` runs it:
    # `bench.surge` is the twin with surge.py's one change to moto.
    command = [sys.executable, "-m", module, "--moto-port", str(free_port()),
               "--emulator-port", str(free_port()), "--latency-ms", str(latency_ms),
               "--clock-start", str(REFERENCE_CLOCK_START)]
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


def stop_twin(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


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


@dataclass(frozen=True)
class Package:
    label: str
    zip_bytes: int
    unzipped_bytes: int
    largest: list[tuple[str, int]]
    directory: Path  # the zip, unzipped as Lambda unpacks it into /var/task


def source_tree(revision: str, workdir: Path) -> Path:
    """The committed files of a git revision, to build its package."""
    target = workdir / f"source-{revision}"
    target.mkdir()
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def chalice_package(source: Path, workdir: Path) -> Path:
    """`chalice package` of a source tree: the folder with its deployment.zip and sam.json."""
    out = workdir / f"package-{len(list(workdir.iterdir()))}"
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run([str(chalice), "package", "--stage", "dev", str(out)], cwd=source, check=True,
                   capture_output=True)
    return out


def bytecode_step(out: Path, *options: str) -> None:
    """scripts/compile_bytecode.py on a `chalice package` output, as scripts/package.sh runs it."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "compile_bytecode.py"), str(out), *options],
                   check=True, capture_output=True)


def unpacked(out: Path, label: str) -> Package:
    """The package's sizes, and its zip unpacked read-only, as Lambda has it in /var/task."""
    archive = out / "deployment.zip"
    with zipfile.ZipFile(archive) as bundle:
        parts: dict[str, int] = {}
        for info in bundle.infolist():
            top = info.filename.split("/", 1)[0]
            parts[top] = parts.get(top, 0) + info.file_size
    return Package(label, archive.stat().st_size, sum(parts.values()),
                   sorted(parts.items(), key=lambda item: -item[1])[:6],
                   read_only.unpack(archive, out / "app"))


def this_tree_packages(workdir: Path) -> list[Package]:
    """The working tree's package twice: as Chalice builds it (sources only, what a plain
    `chalice deploy` ships) and with the compiled modules make deploy and make package add."""
    without = chalice_package(ROOT, workdir)
    with_bytecode = workdir / f"{without.name}-bytecode"
    shutil.copytree(without, with_bytecode)
    bytecode_step(without, "--source-only")
    bytecode_step(with_bytecode)
    return [unpacked(without, "without bytecode"), unpacked(with_bytecode, "with bytecode")]


def measure_cold_starts(packages: list[Package], endpoints: dict[str, str], scenario: Scenario,
                        repeats: int) -> list[dict]:
    """The median of `repeats` fresh processes per package and handler. The packages take turns,
    so that both meet the same machine state, and each process gets events of its own."""
    samples: dict[tuple[str, str], list[dict]] = {}
    unpacked_files = {package.label: read_only.snapshot(package.directory) for package in packages}
    for _ in range(repeats):
        for package in packages:
            for handler, event in scenario.first_events().items():
                with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
                    json.dump(event, file)
                probe = subprocess.run(read_only.command(package.directory, [
                    sys.executable, "-I", "-S", str(ROOT / "bench" / "cold_start.py"),
                    str(package.directory), handler, file.name, str(scenario.clock_offset())]),
                    env={**os.environ, **endpoints}, capture_output=True, text=True, check=True)
                os.unlink(file.name)
                samples.setdefault((package.label, handler), []).append(
                    json.loads(probe.stdout.strip().splitlines()[-1]))
    for package in packages:
        if read_only.snapshot(package.directory) != unpacked_files[package.label]:
            raise RuntimeError(f"the cold starts wrote into the package {package.label}: not Lambda's "
                               "read-only /var/task")
    return [{"package": label, "handler": handler,
             **{key: statistics.median(sample[key] for sample in runs) for key in runs[0]}}
            for (label, handler), runs in samples.items()]


def machine_line() -> str:
    return (f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node() or 'host'}: "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}")


def against_the_sample(flows: list[dict]) -> list[str]:
    """The bridge's agent reply over the original sample's, side by side on the same twin."""
    bridge, sample = (next(row for row in flows if row["flow"] == title)
                      for title in (AGENT_REPLY, SAMPLE_AGENT_REPLY))
    lines = ["| agent text reply | the bridge | the original sample's path | bridge / sample |",
             "|---|---|---|---|"]
    for key, name in (("delivered_median", "delivered after (median)"),
                      ("wall_median", "handler wall (median)"), ("cpu_median", "bridge CPU (median)")):
        lines.append(f"| {name} | {bridge[key]:.1f} ms | {sample[key]:.1f} ms | "
                     f"{bridge[key] / sample[key]:.2f} |")
    lines.append(f"| AWS calls before the send, after it | {len(bridge['critical']) - 1}, "
                 f"{len(bridge['off'])} | {len(sample['critical']) - 1}, {len(sample['off'])} | |")
    return lines


def render_flows(args, flows, throughput, voice) -> str:
    lines = [f"{machine_line()}; simulated AWS latency {args.latency_ms:g} ms per call; "
             f"{args.repeats} runs per flow.", "",
             "| flow | AWS calls on the critical path | off it | delivered after (median) | "
             "handler wall median | p95 | bridge CPU |",
             "|---|---|---|---|---|---|---|"]
    for row in flows:
        lines.append(f"| {row['flow']} | {len(row['critical'])}: {', '.join(row['critical'])} | "
                     f"{len(row['off'])}: {', '.join(row['off']) or '-'} | {row['delivered_median']:.0f} ms | "
                     f"{row['wall_median']:.0f} ms | "
                     f"{row['wall_p95']:.0f} ms | {row['cpu_median']:.1f} ms |")
    lines += ["", *against_the_sample(flows), "", "| flush throughput | figure |", "|---|---|",
              f"| {throughput['messages']} messages from {throughput['conversations']} conversations, "
              f"one batch | {throughput['batch_ms']:.0f} ms ({throughput['messages'] / throughput['batch_ms'] * 1000:.0f} "
              f"messages/s) |",
              f"| the same messages one by one | {throughput['single_ms']:.0f} ms |",
              f"| ratio | {throughput['single_ms'] / throughput['batch_ms']:.1f}× faster in one batch |",
              "", "| voice notes | figure |", "|---|---|",
              f"| ogg/opus → 16 kHz wav, per minute of audio (median of {len(voice)}) | "
              f"{statistics.median(voice):.0f} ms |", "", cost.render(flows)]
    return "\n".join(lines)


def render_package(args, packages: list[Package], cold: list[dict]) -> str:
    labels = [package.label for package in packages]
    compared = len(packages) >= 2  # the last column against the one before it

    def row(name: str, values: list[float], unit: str, digits: int = 0) -> str:
        cells = " | ".join(f"{value:.{digits}f}{' ' + unit if unit else ''}" for value in values)
        ratio = f" {values[-1] / values[-2]:.2f} |" if values[-2] else " - |"
        return f"| {name} | {cells} |" + (ratio if compared else "")

    ffmpeg = (ROOT / "vendor" / "ffmpeg").stat().st_size
    load = os.getloadavg()[0]
    lines = [f"{machine_line()}, load average {load:.1f} at the end. Cold starts: median of {args.cold_repeats} "
             "fresh processes per handler that "
             "see only the unzipped package, read-only as Lambda's /var/task, and the standard library "
             "(`python -I -S`); first events against "
             f"the twin ({args.latency_ms:g} ms per AWS call).", "",
             "| package | " + " | ".join(labels) + " |" + (f" {labels[-1]} / {labels[-2]} |" if compared else ""),
             "|---" * (len(packages) + 1 + compared) + "|",
             row("deployment zip (`chalice package`)", [p.zip_bytes / 2**20 for p in packages], "MB", 1),
             row("unzipped", [p.unzipped_bytes / 2**20 for p in packages], "MB", 1)]
    by_key = {(r["package"], r["handler"]): r for r in cold}
    for handler in dict.fromkeys(r["handler"] for r in cold):
        for key, name, unit in (("import_ms", "import app", "ms"), ("import_cpu_ms", "import app, CPU time", "ms"),
                                ("first_event_ms", "first event", "ms"),
                                ("compiled_modules", "modules compiled (import and first event)", ""),
                                ("peak_rss_mb", "peak memory", "MB")):
            lines.append(row(f"{handler}: {name}", [by_key[(label, handler)][key] for label in labels], unit))
    lines += ["", "| largest parts, unzipped | " + " | ".join(labels) + " |", "|---" * (len(packages) + 1) + "|",
              "| | " + " | ".join(", ".join(f"{name} {size / 2**20:.1f} MB" for name, size in p.largest)
                                  for p in packages) + " |",
              "", f"The vendored ffmpeg: {ffmpeg / 2**20:.1f} MB ({ffmpeg:,} bytes)."]
    return "\n".join(lines)


def record(path: Path, section: str, table: str) -> None:
    start, end = f"<!-- {SECTIONS[section]}:start -->", f"<!-- {SECTIONS[section]}:end -->"
    text = path.read_text()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no {start} … {end} section")
    path.write_text(pattern.sub(lambda _: f"{start}\n{table}\n{end}", text))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--per-conversation", type=int, default=5)
    parser.add_argument("--part", choices=("all", "flows", "package", "surge"), default="all",
                        help="flows: only the flows' tables; package: only the package's size and "
                             "cold starts; surge: only the surge")
    parser.add_argument("--surge-customers", type=int, default=surge.SurgeParameters.customers)
    parser.add_argument("--surge-limit-seconds", type=float,
                        default=surge.SurgeParameters.limit_seconds,
                        help="the surge stops here and reports what was left")
    parser.add_argument("--baseline", metavar="REVISION",
                        help="also build and measure this git revision's package, in the same run")
    parser.add_argument("--cold-repeats", type=int, default=5)
    parser.add_argument("--record", type=Path, help="write the tables into this Markdown file")
    args = parser.parse_args()

    # The bridge's own JSON log lines would bury the table.
    logging.getLogger("whatsapp_connect_chat").disabled = True
    emf.write_lines_to()
    tables = {}
    if args.part == "flows":
        process, endpoints = start_twin(args.latency_ms)
        try:
            os.environ.update(endpoints)
            scenario = Scenario(TwinClient(endpoints["AWS_ENDPOINT_URL_CONNECT"]))
            tables["flows"] = render_flows(
                args, measure_flows(scenario, args.repeats),
                scenario.throughput(args.conversations, args.per_conversation),
                scenario.voice_conversion_ms(runs=5))
        finally:
            stop_twin(process)
    if args.part in ("all", "package"):
        with tempfile.TemporaryDirectory() as scratch:
            workdir = Path(scratch)
            packages = []
            if args.baseline:
                packages.append(unpacked(chalice_package(source_tree(args.baseline, workdir), workdir),
                                         f"before ({args.baseline})"))
            packages += this_tree_packages(workdir)
            process, endpoints = start_twin(args.latency_ms)
            try:
                os.environ.update(endpoints)
                scenario = Scenario(TwinClient(endpoints["AWS_ENDPOINT_URL_CONNECT"]))
                if args.part == "all":
                    flows = measure_flows(scenario, args.repeats)
                    throughput = scenario.throughput(args.conversations, args.per_conversation)
                    voice = scenario.voice_conversion_ms(runs=5)
                cold = measure_cold_starts(packages, endpoints, scenario, args.cold_repeats)
            finally:
                stop_twin(process)
            tables["package"] = render_package(args, packages, cold)
            if args.part == "all":
                tables["flows"] = render_flows(args, flows, throughput, voice)
    if args.part in ("all", "surge"):
        # A twin of its own: empty tables, default limits, and moto's transactions made cheap.
        process, endpoints = start_twin(args.latency_ms, module="bench.surge")
        try:
            parameters = surge.SurgeParameters(customers=args.surge_customers,
                                               limit_seconds=args.surge_limit_seconds)
            result = surge.run(endpoints, parameters)
        finally:
            stop_twin(process)
        tables["surge"] = surge.render(result, machine_line(), args.latency_ms)
    if "flows" in tables:
        tables["flows"] += "\n\n" + "\n".join(emf.render(emf.emitter_cost()))
    for section, table in tables.items():
        print(table, end="\n\n")
        if args.record:
            record(args.record, section, table)


if __name__ == "__main__":
    main()
