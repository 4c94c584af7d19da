"""LOCAL_BLUEPRINTS (the sandbox's routes) is for `chalice local` only: `chalice package` and
`chalice deploy` refuse it in one line, whichever way they are run (chalicelib/local_blueprints.py),
and `make deploy` / `make package` refuse it before touching anything."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import local_blueprints

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SANDBOX = "sandbox.routes:sandbox_routes"
# Nothing here may reach AWS: every endpoint is a closed port on this machine.
OFFLINE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def run(command, tmp_path, **environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "LOCAL_BLUEPRINTS"}
    result = subprocess.run(command, cwd=ROOT, env=env | OFFLINE | environment, capture_output=True,
                            text=True, timeout=120)
    return result.returncode, (result.stdout + result.stderr).strip()


def refusal_line(output):
    lines = [line for line in output.splitlines() if "LOCAL_BLUEPRINTS is set" in line]
    assert len(lines) == 1, output
    assert "Traceback" not in output, output
    return lines[0]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_chalice_package_with_local_blueprints_in_the_shell_is_refused(tmp_path, stage):
    code, output = run([str(BIN / "chalice"), "package", "--stage", stage, str(tmp_path / "out")],
                       tmp_path, LOCAL_BLUEPRINTS=SANDBOX)

    assert code != 0
    assert refusal_line(output) == (
        f"Error: Refusing `chalice package --stage {stage}`: LOCAL_BLUEPRINTS is set ({SANDBOX}), "
        "which would ship the sandbox's routes as a public API. It is for `chalice local --stage "
        "local` only: unset LOCAL_BLUEPRINTS and run it again.")
    assert not (tmp_path / "out").exists()


def test_the_local_stage_itself_cannot_be_packaged(tmp_path):
    """Its environment_variables set LOCAL_BLUEPRINTS, and Chalice applies them before importing app.py."""
    code, output = run([str(BIN / "chalice"), "package", "--stage", "local", str(tmp_path / "out")],
                       tmp_path)

    assert code != 0
    assert "Refusing `chalice package --stage local`" in refusal_line(output)
    assert not (tmp_path / "out").exists()


def test_chalice_deploy_with_local_blueprints_is_refused_before_any_aws_call(tmp_path):
    code, output = run([str(BIN / "chalice"), "deploy", "--stage", "dev"], tmp_path,
                       LOCAL_BLUEPRINTS=SANDBOX)

    assert code != 0
    assert "Refusing `chalice deploy --stage dev`" in refusal_line(output)
    assert "127.0.0.1:9" not in output  # nothing was tried against the (closed) endpoint


@pytest.mark.parametrize("script, arguments", [
    ("deploy_bridge.py", ["--stage", "dev"]),  # make deploy: before the resources stack
    ("deploy_bridge.py", ["--stage", "dev", "--check", "package"]),  # make package: first step
])
def test_make_deploy_and_make_package_refuse_it_first(tmp_path, script, arguments):
    code, output = run([sys.executable, f"scripts/{script}", *arguments], tmp_path,
                       LOCAL_BLUEPRINTS=SANDBOX)

    assert code != 0
    assert refusal_line(output).startswith("Refusing `chalice ")
    assert "scripts/deploy_bridge.py --stage \"$STAGE\" --check package" in (
        ROOT / "scripts" / "package.sh").read_text()


def test_chalice_local_and_imports_outside_the_cli_register_them():
    assert local_blueprints.refusal([SANDBOX], "local", "local") is None
    assert local_blueprints.refusal([SANDBOX], None, None) is None  # a test, or the Lambda runtime
    assert local_blueprints.refusal([], "deploy", "prod") is None
    assert local_blueprints.to_register({"LOCAL_BLUEPRINTS": f" {SANDBOX} ,"}) == [SANDBOX]
    assert local_blueprints.to_register({}) == []
