"""What the deployment zip carries, and that it runs on its own.

The bundle ships its own boto3/botocore (vendor/, trimmed by scripts/vendor_boto.py): the models of
exactly the services the code creates clients for. The app is then imported and run from the
unzipped package alone, by the Python that packaged it (whose version picks the Lambda runtime),
with nothing from the development virtual environment on sys.path.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from collections import Counter

import boto3

from bench import read_only
from bench.cold_start import count_compiles
from tests.conftest import BUFFER_TABLE, CONVERSATION_ID, load_event
from tests.packaging_support import ROOT, bytecode, deploy, merged, packages  # noqa: F401  (fixtures)

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
    the way Lambda's /var/task is laid out, and read-only as it is. `code` ends with
    MODULE_ORIGINS. The run must leave the package as it found it."""
    app = packages["dir"] / "app"
    # `compiled` lists the package's modules the interpreter compiled from source, because it found
    # no bytecode it could use (bench/cold_start.py counts them the same way).
    prelude = (f"import importlib.machinery, sys\nsys.path.insert(0, {str(app)!r})\n"
               f"{inspect.getsource(count_compiles)}\ncompiled = count_compiles({str(app)!r})\n")
    before = read_only.snapshot(app)
    result = subprocess.run(read_only.command(app, [sys.executable, "-I", "-S", "-c", prelude + code]),
                            env=env or {}, capture_output=True, text=True, timeout=120, cwd=packages["dir"])
    assert result.returncode == 0, result.stderr
    assert read_only.snapshot(app) == before
    return json.loads(result.stdout.strip().splitlines()[-1])


MODULE_ORIGINS = """
import json, sys
origins = {getattr(module, "__file__", None) or "" for module in list(sys.modules.values())}
print(json.dumps({"result": result, "origins": sorted(origins - {""}), "compiled": compiled}))
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
    assert probe["compiled"] == []


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
    assert probe["compiled"] == []
    # The settings (for the 👀 reaction switch), then the one conditional write.
    assert [(c["service"], c["operation"]) for c in aws.twin.calls] == [("ssm", "GetParameter"),
                                                                          ("dynamodb", "PutItem")]
    items = boto3.client("dynamodb").scan(TableName=BUFFER_TABLE)["Items"]
    assert [item["conversationId"]["S"] for item in items] == [CONVERSATION_ID]
    webhook = json.loads(json.loads(event["Records"][0]["Sns"]["Message"])["whatsAppWebhookEntry"])
    (message,) = webhook["changes"][0]["value"]["messages"]
    assert items[0]["messageKey"]["S"].endswith(message["id"])


# --- compiled modules (scripts/compile_bytecode.py; docs/deploy-package.md) -------------------

def pyc_header(data: bytes) -> tuple[bytes, int, bytes]:
    """PEP 552: the magic number, the flags word, and the source hash (when hash-based)."""
    return data[:4], int.from_bytes(data[4:8], "little"), data[8:16]


def test_the_zip_holds_an_unchecked_hash_pyc_of_each_module_for_the_runtime_and_stays_small(packages):
    archive = packages["dir"] / "merged" / "deployment.zip"
    tag = bytecode.cache_tag(packages["merged"]["Resources"]["OnWhatsappEvent"]["Properties"]["Runtime"])
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        sources = [name for name in names if name.endswith(".py")]
        compiled = {name: bundle.read(name) for name in names if bytecode.is_bytecode(name)}
        expected = {bytecode.pyc_name(source, tag): bundle.read(source) for source in sources}

    assert "app.py" in sources and "chalicelib/__init__.py" in sources and "botocore/client.py" in sources
    assert sorted(compiled) == sorted(expected)  # one each, nothing stale beside them
    for name, source in expected.items():
        assert pyc_header(compiled[name]) == (importlib.util.MAGIC_NUMBER, 0b01,
                                              importlib.util.source_hash(source)), name
    assert archive.stat().st_size < 8 * 2**20


def test_every_module_of_the_app_imports_from_its_bytecode_without_writing(packages):
    code = ("import importlib, pkgutil, app, chalicelib\n"
            "for found in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.'):\n"
            "    importlib.import_module(found.name)\n"
            "result = sorted(name for name in sys.modules\n"
            "                if name == 'app' or name.startswith('chalicelib'))\n"
            + MODULE_ORIGINS)
    probe = run_packaged(packages, code)  # on the read-only copy, which it must leave unchanged

    modules = {path.relative_to(packages["dir"] / "app").with_suffix("").as_posix().replace("/", ".")
               .removesuffix(".__init__") for path in (packages["dir"] / "app" / "chalicelib").rglob("*.py")}
    assert probe["result"] == sorted(modules | {"app"})
    assert probe["compiled"] == []
    assert_only_package_and_standard_library(packages, probe["origins"])


def test_bytecode_for_another_python_is_left_out_and_stale_caches_are_dropped(tmp_path):
    archive = tmp_path / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("chalicelib/texts.py", "GREETING = 'hi'\n")
        # A developer's timestamp-checked cache, which Chalice copies with chalicelib/.
        bundle.writestr("chalicelib/__pycache__/texts.cpython-311.pyc", b"stale")
    other = "python3.10" if sys.version_info[:2] != (3, 10) else "python3.11"

    assert bytecode.add_bytecode(archive, other, log=lambda line: None) == 0
    assert zipfile.ZipFile(archive).namelist() == ["chalicelib/texts.py"]

    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert bytecode.add_bytecode(archive, runtime, log=lambda line: None) == 1
    assert zipfile.ZipFile(archive).namelist() == [
        "chalicelib/texts.py", f"chalicelib/__pycache__/texts.{sys.implementation.cache_tag}.pyc"]


def test_make_deploy_has_chalice_upload_the_zip_it_compiled(tmp_path):
    """make deploy cannot step in between Chalice's build and its upload: it builds the zip first,
    under the name Chalice looks for, then runs Chalice. Its commands are run here with `chalice
    package` for `chalice deploy` (same packager, same cache), from a shell that writes bytecode
    (Chalice imports the app before it packages): the package must carry the compiled modules."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    prepare, chalice = deploy.chalice_commands("dev")
    assert chalice[-3:] == ["deploy", "--stage", "dev"]
    subprocess.run(prepare, cwd=ROOT, env=environment, check=True, capture_output=True)
    subprocess.run([*chalice[:-3], "package", "--stage", "dev", str(tmp_path)], cwd=ROOT, env=environment,
                   check=True, capture_output=True)

    with zipfile.ZipFile(tmp_path / "deployment.zip") as bundle:
        names = bundle.namelist()
    assert f"__pycache__/app.{sys.implementation.cache_tag}.pyc" in names
    assert f"chalicelib/__pycache__/__init__.{sys.implementation.cache_tag}.pyc" in names
