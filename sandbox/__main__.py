"""python -m sandbox: the whole bridge on this machine, against the emulated AWS account.

Starts the twin (moto + the project's emulator) in this process, creates the resources of
infra/resources.json in it, seeds the settings, writes `.env.sandbox`, runs
`chalice local --stage local` on it as a child, and prints the address once the page answers.
Ctrl-C (or SIGTERM) stops the child's whole process group and the twin; nothing is left running.
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

from emulator.twin import Twin
from sandbox import resources

READY_TIMEOUT_SECONDS = 150
# SNS delivers a standard topic's notifications in any order and side by side: each one here waits
# up to this long, so the sandbox meets a bot's burst of messages as the bridge will.
SNS_REORDER_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# chalice local's access log lines for the page's own polling would bury the bridge's logs.
_QUIET = re.compile(r'"GET /sandbox/(api/state|static/|api/phone/media|api/agent/attachments)|"GET / HTTP')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8000")),
                        help="chalice local's port (default 8000, or $SANDBOX_PORT)")
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("SANDBOX_MOTO_PORT", "0")),
                        help="moto's port (default: a free one)")
    parser.add_argument("--emulator-port", type=int,
                        default=int(os.environ.get("SANDBOX_EMULATOR_PORT", "0")),
                        help="the emulator's port (default: a free one)")
    parser.add_argument("--env-file", type=Path, default=resources.PROJECT_DIR / ".env.sandbox",
                        help="where to write the sandbox's .env (default .env.sandbox)")
    parser.add_argument("--buffer-seconds", type=float, default=2.0,
                        help="the buffer table stream's batching window (default 2)")
    parser.add_argument("--settings", type=Path,
                        help="a JSON file of settings keys to add to the seeded settings parameter")
    parser.add_argument("--reload", action="store_true",
                        help="let chalice local restart on code changes (its file watcher polls "
                             "the whole project, .venv included)")
    args = parser.parse_args(argv)
    # Before anything starts: a port someone else holds is one line, not chalice's traceback.
    unavailable = _unavailable_port(args)
    if unavailable:
        print(unavailable, file=sys.stderr, flush=True)
        return 1

    started = time.monotonic()
    instance_id = os.environ.get("CONNECT_INSTANCE_ID") or resources.INSTANCE_ID
    flow_id = os.environ.get("CONNECT_CONTACT_FLOW_ID") or resources.CONTACT_FLOW_ID
    # The twin's free ports are the kernel's choice: held meanwhile, chalice local's port cannot be
    # one of them.
    with _held(args.host, args.port):
        twin = Twin(moto_port=args.moto_port, emulator_port=args.emulator_port,
                    instances={instance_id: [flow_id]}, publish_streaming=True,
                    reorder_deliveries_seconds=SNS_REORDER_SECONDS).start()
    child: subprocess.Popen | None = None
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        endpoints = twin.endpoint_env()
        overrides = json.loads(args.settings.read_text()) if args.settings else {}
        created = resources.create(
            endpoints, resources.settings_document(instance_id, flow_id, overrides))
        base_url = f"http://{args.host}:{args.port}"
        resources.subscribe_streaming(endpoints, created.streaming_topic_arn, f"{base_url}/sandbox/sns/connect")
        lines = resources.env_lines(endpoints, created, twin.emulator_url, args.buffer_seconds,
                                    instance_id, flow_id)
        args.env_file.write_text("\n".join(lines) + "\n")
        twin.clear_calls()

        child = _start_chalice(args, _child_environment(args.env_file, lines))
        if not _wait_ready(f"{base_url}/sandbox/health", child, stopping):
            if not stopping.is_set():
                print(f"Sandbox failed to start: chalice local exited with {child.poll()}",
                      file=sys.stderr, flush=True)
                return 1
            return 0
        print(f"Sandbox ready: {base_url}/  ({time.monotonic() - started:.1f} s; "
              f"settings in {args.env_file.name}; Ctrl-C stops)", flush=True)
        while not stopping.is_set() and child.poll() is None:
            stopping.wait(0.5)
        return 0 if stopping.is_set() else (child.poll() or 1)
    finally:
        if child is not None:
            _stop(child)
        twin.stop()


@contextlib.contextmanager
def _held(host: str, port: int) -> Iterator[None]:
    """The port bound (not listening, so it leaves no TIME_WAIT behind) for as long as it is held."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind((host, port))
        except OSError:
            pass  # a host chalice local will refuse itself, in its own words
        yield


def _unavailable_port(args: argparse.Namespace) -> str | None:
    """The first fixed port the sandbox cannot listen on, said in one line with how to choose
    another; None when all are free. Ports left at 0 are picked free by the twin."""
    for port, option in ((args.port, "--port"), (args.moto_port, "--moto-port"),
                         (args.emulator_port, "--emulator-port")):
        if not port:
            continue
        reason = _listen_error(args.host, port)
        if reason:
            other = _free_port_after(args.host, port)
            how = (f"make sandbox PORT={other} (or python -m sandbox --port {other})" if option == "--port"
                   else f"python -m sandbox {option} {other}")
            return f"Sandbox not started: port {port} on {args.host}: {reason}; choose another with {how}"
    return None


def _listen_error(host: str, port: int) -> str | None:
    """Why the port cannot be listened on (taken, or reserved for root), asked the way chalice
    local's server binds: IPv4, with SO_REUSEADDR, so a port in TIME_WAIT counts as free. None
    when it can, or when the trouble is not the port (a bad --host is chalice local's to report)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return os.strerror(error.errno).lower()
    return None


def _free_port_after(host: str, port: int) -> int:
    """A port to suggest instead: the next free one above, else any free one."""
    for candidate in range(port + 1, min(port + 100, 65536)):
        if _listen_error(host, candidate) is None:
            return candidate
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _child_environment(env_file: Path, lines: list[str]) -> dict[str, str]:
    """The shell's environment minus anything that could aim the bridge at a real account: the
    AWS_* variables and the keys the sandbox's .env sets (python-dotenv does not override)."""
    keys = {line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in keys}
    environment |= {
        "BRIDGE_ENV_FILE": str(env_file),
        # The local stage of .chalice/config.json sets this too; set here, the sandbox does not
        # depend on the stage being present.
        "LOCAL_BLUEPRINTS": "sandbox.routes:sandbox_routes",
        "PYTHONUNBUFFERED": "1",
    }
    return environment


def _start_chalice(args: argparse.Namespace, environment: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
               "local", "--stage", "local", "--host", args.host, "--port", str(args.port),
               "--autoreload" if args.reload else "--no-autoreload"]
    # Its own session (process group), so stopping it also stops a reloader's worker.
    child = subprocess.Popen(command, cwd=resources.PROJECT_DIR, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             bufsize=1, start_new_session=True,
                             preexec_fn=_die_with_parent)  # noqa: PLW1509 - one libc call, no locks
    threading.Thread(target=_forward, args=(child,), name="chalice-output", daemon=True).start()
    return child


def _prctl():
    try:
        return ctypes.CDLL(None).prctl  # resolved here, so the forked child only calls it
    except (OSError, AttributeError):
        return None  # not Linux: Ctrl-C and SIGTERM still stop everything


_PRCTL = _prctl()


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, SIGTERM when the launcher dies, even by SIGKILL
    (then it cannot stop its children itself)."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def _forward(child: subprocess.Popen) -> None:
    """chalice local's output (the bridge's JSON logs), without the page's polling requests."""
    assert child.stdout is not None
    for line in child.stdout:
        if not _QUIET.search(line):
            sys.stdout.write(line)
            sys.stdout.flush()


def _wait_ready(url: str, child: subprocess.Popen, stopping: threading.Event) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline and not stopping.is_set() and child.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def _stop(child: subprocess.Popen) -> None:
    for signum, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            break
        try:
            child.wait(wait)
            # The group may hold a reloader worker that outlives its parent; check it is empty.
            os.killpg(child.pid, 0)
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue


if __name__ == "__main__":
    sys.exit(main())
