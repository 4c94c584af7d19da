"""What the deployment zip carries, and that it runs on its own.

The bundle ships its own boto3/botocore (vendor/, trimmed by scripts/vendor_boto.py): the models of
exactly the services the code creates clients for. The app is then imported and run from the
unzipped package alone, by the Python that packaged it (whose version picks the Lambda runtime),
with nothing from the development virtual environment on sys.path.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from collections import Counter

import boto3

from tests.conftest import BUFFER_TABLE, CONVERSATION_ID, load_event
from tests.packaging_support import ROOT, merged, packages  # noqa: F401  (fixtures)

# IAM names the service differently from botocore for one of them.
IAM_TO_BOTOCORE = {"social-messaging": "socialmessaging"}
# Granted for Lambda itself (logs, traces, the failure queue), not for a client in the code.
PLATFORM_SERVICES = {"logs", "xray", "sqs"}
# The participant API takes the chat's bearer tokens: a client with no IAM statement.
TOKEN_SERVICES = {"connectparticipant"}


def services_in_code() -> set[str]:
    """The botocore service names of every `self._client("…")` in chalicelib/runtime.py."""
    tree = ast.parse((ROOT / "chalicelib" / "runtime.py").read_text())
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "_client"
            and node.args and isinstance(node.args[0], ast.Constant)}


def services_in_policies(merged: dict) -> set[str]:
    prefixes = {action.split(":")[0]
                for resource in merged["Resources"].values() if resource["Type"] == "AWS::IAM::Role"
                for policy in resource["Properties"]["Policies"]
                for statement in policy["PolicyDocument"]["Statement"]
                for action in (statement["Action"] if isinstance(statement["Action"], list)
                               else [statement["Action"]])}
    return {IAM_TO_BOTOCORE.get(prefix, prefix) for prefix in prefixes} - PLATFORM_SERVICES


def test_the_package_carries_the_models_of_exactly_the_services_the_code_calls(packages, merged):
    called = services_in_code()
    assert called == services_in_policies(merged) | TOKEN_SERVICES
    data = packages["dir"] / "app" / "botocore" / "data"
    assert {path.name for path in data.iterdir() if path.is_dir()} == called
    # What every client loads, whatever its service.
    for name in ("endpoints.json", "partitions.json", "_retry.json", "sdk-default-configuration.json"):
        assert (data / name).is_file(), name
    assert {path.name for path in (packages["dir"] / "app" / "boto3" / "data").iterdir()} <= called


def test_the_package_holds_one_botocore_the_pinned_one(packages):
    with zipfile.ZipFile(packages["dir"] / "merged" / "deployment.zip") as bundle:
        names = bundle.namelist()
    duplicates = [name for name, count in Counter(names).items() if count > 1]
    assert duplicates == []  # a botocore from requirements.txt would land beside vendor/'s
    pins = dict(re.findall(r"^([a-z0-9]+)==(\S+)", (ROOT / "requirements-dev.txt").read_text(), re.M))
    for package in ("boto3", "botocore", "s3transfer"):
        (info,) = [name.split("/")[0] for name in names if re.fullmatch(rf"{package}-[^/]+\.dist-info/METADATA", name)]
        assert info == f"{package}-{pins[package]}.dist-info"
        assert f"{package}-{pins[package]}.dist-info" in os.listdir(ROOT / "vendor")


def run_packaged(packages, code: str, env: dict[str, str] | None = None) -> dict:
    """Runs `code` in a fresh interpreter whose sys.path is the unzipped package and the standard
    library only (-I: no environment variables, user site or script folder; -S: no site-packages),
    the way Lambda's /var/task is laid out. `code` prints one JSON line last."""
    prelude = f"import sys; sys.path.insert(0, {str(packages['dir'] / 'app')!r})\n"
    result = subprocess.run([sys.executable, "-I", "-S", "-c", prelude + code], env=env or {},
                            capture_output=True, text=True, timeout=120, cwd=packages["dir"])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


MODULE_ORIGINS = """
import json, sys
origins = {getattr(module, "__file__", None) or "" for module in list(sys.modules.values())}
print(json.dumps({"result": result, "origins": sorted(origins - {""})}))
"""


def assert_only_package_and_standard_library(packages, origins: list[str]) -> None:
    allowed = (str(packages["dir"] / "app"), sysconfig.get_paths()["stdlib"])
    assert [origin for origin in origins if not origin.startswith(allowed)] == []
    assert any(origin.startswith(str(packages["dir"] / "app" / "botocore")) for origin in origins)


def test_every_client_the_code_creates_is_made_from_the_package_alone(packages):
    code = ("import boto3\n"
            f"result = [boto3.client(s, region_name='eu-west-1', aws_access_key_id='x', "
            f"aws_secret_access_key='x').meta.service_model.service_name for s in {sorted(services_in_code())!r}]\n"
            + MODULE_ORIGINS)
    probe = run_packaged(packages, code)
    assert probe["result"] == sorted(services_in_code())
    assert_only_package_and_standard_library(packages, probe["origins"])


def test_the_packaged_app_imports_and_buffers_a_whatsapp_message_on_its_own(packages, aws):
    event = load_event("eum-text")
    code = ("import json, logging, app\n"
            f"result = app.on_whatsapp_event(json.loads({json.dumps(event)!r}), None)\n"
            + MODULE_ORIGINS)
    env = {name: value for name, value in os.environ.items()
           if name.startswith("AWS_") or name in ("SESSIONS_TABLE", "BUFFER_TABLE", "MEDIA_BUCKET",
                                                  "CONFIG_PARAMETER", "CONNECT_STREAMING_TOPIC_ARN")}
    probe = run_packaged(packages, code, env)

    assert_only_package_and_standard_library(packages, probe["origins"])
    # The settings (for the 👀 reaction switch), then the one conditional write.
    assert [(c["service"], c["operation"]) for c in aws.twin.calls] == [("ssm", "GetParameter"),
                                                                          ("dynamodb", "PutItem")]
    items = boto3.client("dynamodb").scan(TableName=BUFFER_TABLE)["Items"]
    assert [item["conversationId"]["S"] for item in items] == [CONVERSATION_ID]
    webhook = json.loads(json.loads(event["Records"][0]["Sns"]["Message"])["whatsAppWebhookEntry"])
    (message,) = webhook["changes"][0]["value"]["messages"]
    assert items[0]["messageKey"]["S"].endswith(message["id"])
