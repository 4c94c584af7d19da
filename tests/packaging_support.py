"""What the packaging tests share: one `chalice package` per test session (it is slow), the
template of infra/resources.json, and the deploy script loaded as a module."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import read_only

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FUNCTIONS = {"on_whatsapp_event": "OnWhatsappEvent", "flush_buffer": "FlushBuffer",
             "on_connect_event": "OnConnectEvent", "on_transcription_job": "OnTranscriptionJob",
             "start_conversation": "StartConversation", "retry_waiting": "RetryWaiting"}
ENVIRONMENT = {"SESSIONS_TABLE": "SessionsTable", "BUFFER_TABLE": "BufferTable",
               "MEDIA_BUCKET": "MediaBucket", "CONFIG_PARAMETER": "ConfigParameter",
               "CONNECT_STREAMING_TOPIC_ARN": "StreamingTopic"}
# Set by the stage in .chalice/config.json, not by the stack: how much the functions log.
STAGE_ENVIRONMENT = {"LOG_LEVEL": "INFO"}
# Invoked asynchronously (SNS subscriptions, EventBridge rules): Lambda retries, then gives up.
ASYNC_FUNCTIONS = ("on_whatsapp_event", "on_connect_event", "on_transcription_job", "retry_waiting")
# Invoked directly by their caller (a Connect flow, `chalice invoke`), who gets the answer or the
# error: nothing for Lambda to retry or give up on.
DIRECT_FUNCTIONS = ("start_conversation",)
# The Lambda runtime Chalice picks: the one of the Python that packages.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def load_script(name: str):
    """A script of scripts/ as a module (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = load_script("deploy_bridge")
bytecode = load_script("compile_bytecode")


def chalice_package(stage: str, outdir: Path, merge: bool, extra_env: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("INBOUND_TOPIC", "STREAMING_TOPIC", "BUFFER_TABLE_STREAM_ARN", "BUFFER_SECONDS")}
    env.update(extra_env or {})
    command = [str(BIN / "chalice"), "package", "--stage", stage]
    if merge:
        command += ["--merge-template", "infra/resources.json"]
    subprocess.run(command + [str(outdir)], cwd=ROOT, env=env, check=True, capture_output=True)
    return json.loads((outdir / "sam.json").read_text())


_built: dict = {}


@pytest.fixture(scope="session")
def packages(tmp_path_factory):
    """Both packages, built once per test session whichever module asks first: `dir/merged` (dev,
    merged with infra/resources.json, with the compiled modules scripts/package.sh adds),
    `dir/bare` (prod, no merge), and `dir/app`, the merged package's deployment.zip unzipped as
    Lambda unpacks it into /var/task, read-only (bench/read_only.py)."""
    if not _built:
        base = tmp_path_factory.mktemp("package")
        merged = chalice_package("dev", base / "merged", merge=True)
        bytecode.main([str(base / "merged")])
        bare = chalice_package("prod", base / "bare", merge=False)  # reuses the cached zip
        read_only.unpack(base / "merged" / "deployment.zip", base / "app")
        _built.update({"merged": merged, "bare": bare, "dir": base})
    return _built


@pytest.fixture(scope="session")
def merged(packages):
    return packages["merged"]


@pytest.fixture(scope="session")
def template():
    return deploy.load_template()


def function(template: dict, name: str) -> dict:
    return template["Resources"][FUNCTIONS[name]]["Properties"]


def failure_destinations(template: dict, name: str) -> list:
    """Where Lambda sends what it gives up on for the function, as the template writes them: the
    stream mapping's on-failure destination, the asynchronous invocations' one."""
    properties = function(template, name)
    found = [event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
             for event in properties.get("Events", {}).values()
             if "DestinationConfig" in event.get("Properties", {})]
    invoke = properties.get("EventInvokeConfig", {}).get("DestinationConfig", {})
    if "OnFailure" in invoke:
        found.append(invoke["OnFailure"]["Destination"])
    return found
