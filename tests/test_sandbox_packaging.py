"""The local sandbox's routes exist only in the local stage: never in a packaged (deployed) app."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Imports app.py the way chalice does for a stage (its environment variables applied first) and
# prints the routes and whether the sandbox was imported. A fresh process per stage, because app.py
# decides at import time.
_ROUTES_OF_STAGE = """
import json, sys
from chalice.cli.factory import CLIFactory
app = CLIFactory(sys.argv[1]).create_config_obj(chalice_stage_name=sys.argv[2]).chalice_app
print(json.dumps({"routes": sorted(app.routes), "sandbox": "sandbox.routes" in sys.modules}))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRIDGE_LOCAL_SANDBOX", "INBOUND_TOPIC", "STREAMING_TOPIC",
                        "BUFFER_TABLE_STREAM_ARN", "BUFFER_SECONDS")}
    # No poller, and no developer's .env, in these imports.
    env |= {"SANDBOX_POLL_BUFFER_STREAM": "no", "BRIDGE_ENV_FILE": os.devnull}
    return env | extra


def _routes(stage: str, **extra: str) -> dict:
    result = subprocess.run([sys.executable, "-c", _ROUTES_OF_STAGE, str(ROOT), stage], cwd=ROOT,
                            env=_clean_env(**extra), check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deployed_stages_have_no_routes_and_never_import_the_sandbox():
    for stage in ("dev", "prod"):
        assert _routes(stage) == {"routes": [], "sandbox": False}


def test_the_local_stage_switch_adds_the_test_event_routes_and_the_page():
    # What `chalice local --stage local` gets from the stage's BRIDGE_LOCAL_SANDBOX=1.
    found = _routes("local", BRIDGE_LOCAL_SANDBOX="1")

    assert found["sandbox"] is True
    assert {"/", "/sandbox/events", "/sandbox/invoke/{function_name}", "/sandbox/sns/connect"} <= set(
        found["routes"])


def test_packaged_app_has_no_api_and_no_sandbox_files(tmp_path):
    # Reuses chalice's cached dependency zip (.chalice/deployments), as tests/test_packaging.py does.
    subprocess.run([str(BIN / "chalice"), "package", "--stage", "prod", str(tmp_path)], cwd=ROOT,
                   env=_clean_env(), check=True, capture_output=True)
    template = json.loads((tmp_path / "sam.json").read_text())
    with zipfile.ZipFile(tmp_path / "deployment.zip") as bundle:
        names = bundle.namelist()

    types = {resource["Type"] for resource in template["Resources"].values()}
    assert not {"AWS::Serverless::Api", "AWS::ApiGateway::RestApi"} & types
    assert "APIHandler" not in template["Resources"]
    assert "app.py" in names
    assert not [name for name in names if name.startswith("sandbox/") or "/.env" in f"/{name}"]
