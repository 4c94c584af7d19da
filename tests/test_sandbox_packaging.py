"""The local sandbox's routes exist only in the local stage, never in a packaged (deployed) app, and
the sandbox depends on the app, never the reverse."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Imports app.py the way `chalice local` does for a stage (the stage's environment variables applied
# to os.environ first) and prints the routes and whether the sandbox was imported. A fresh process
# per stage, because app.py decides at import time.
_ROUTES_OF_STAGE = """
import json, os, sys
from chalice.cli.factory import CLIFactory
factory = CLIFactory(sys.argv[1], environ=os.environ)
app = factory.create_config_obj(chalice_stage_name=sys.argv[2]).chalice_app
print(json.dumps({"routes": sorted(app.routes), "sandbox": "sandbox.routes" in sys.modules}))
"""

# Registers the sandbox's routes on a stand-in app whose on_connect_event only records its event,
# posts a reference event to the test-event route, and prints what ran and whether app.py was
# imported. The route must find the handler of the app it is registered to, not app.py's.
_SANDBOX_ON_A_STAND_IN = """
import json, sys
from chalice import Chalice
from chalice.test import Client
from sandbox.routes import sandbox_routes

stand_in = Chalice(app_name="stand-in")
received = []

@stand_in.on_sns_message(topic="streaming", name="on_connect_event")
def on_connect_event(event):
    received.append(event.message)

stand_in.register_blueprint(sandbox_routes)
with open("events/connect-agent-text.json") as file:
    event = json.load(file)
with Client(stand_in) as client:
    response = client.http.post("/sandbox/events", headers={"Content-Type": "application/json"},
                                body=json.dumps(event))
print(json.dumps({"status": response.status_code,
                  "received": received == [event["Records"][0]["Sns"]["Message"]],
                  "app imported": "app" in sys.modules}))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LOCAL_BLUEPRINTS", "INBOUND_TOPIC", "STREAMING_TOPIC",
                        "BUFFER_TABLE_STREAM_ARN", "BUFFER_SECONDS")}
    # No poller, and no developer's .env, in these imports.
    env |= {"SANDBOX_POLL_BUFFER_STREAM": "no", "BRIDGE_ENV_FILE": os.devnull}
    return env | extra


def _run_python(code: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=_clean_env(),
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _routes(stage: str) -> dict:
    return _run_python(_ROUTES_OF_STAGE, str(ROOT), stage)


def test_deployed_stages_have_no_routes_and_never_import_the_sandbox():
    for stage in ("dev", "prod"):
        assert _routes(stage) == {"routes": [], "sandbox": False}


def test_the_local_stage_adds_the_test_event_routes_and_the_page():
    # What `chalice local --stage local` gets from the stage's LOCAL_BLUEPRINTS, and nothing else.
    found = _routes("local")

    assert found["sandbox"] is True
    assert {"/", "/sandbox/events", "/sandbox/invoke/{function_name}", "/sandbox/sns/connect"} <= set(
        found["routes"])


def test_the_sandbox_runs_the_handlers_of_the_app_it_is_registered_to_and_never_imports_app_py():
    assert _run_python(_SANDBOX_ON_A_STAND_IN) == {"status": 200, "received": True, "app imported": False}


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
