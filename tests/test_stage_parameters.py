"""Every stage but dev names its Connect instance and WhatsApp business account: `*` would scope the
functions' policies and the topics' publishers to every one of the account and Region.
`make deploy` and `make package` refuse it in one line (scripts/deploy_bridge.py)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.packaging_support import ROOT, deploy, merged, packages, template  # noqa: F401  (fixtures)

INSTANCE = "6688872b-b779-4713-a25c-8a6c220d6483"
WABA = "7c2025cfddb055018df85097925ee415"


def test_prod_ships_without_an_instance_or_business_account_so_it_must_be_given():
    prod = json.loads((ROOT / "infra" / "stages" / "prod.json").read_text())

    assert prod["ConnectInstanceId"] == prod["WhatsAppBusinessAccountId"] == ""


@pytest.mark.parametrize("stage", ["prod", "staging"])
@pytest.mark.parametrize("open_value", ["*", ""])
def test_a_stage_other_than_dev_with_a_wildcard_is_refused_in_one_line(template, stage, open_value):
    settings = {"ConnectInstanceId": open_value, "WhatsAppBusinessAccountId": WABA}

    with pytest.raises(SystemExit) as refused:
        deploy.parameter_values(template, stage, settings)

    message = str(refused.value)
    assert message.startswith(f"infra/stages/{stage}.json: set ConnectInstanceId (")
    assert "only dev may use it" in message and "\n" not in message


def test_both_named_or_dev_passes(template):
    named = deploy.parameter_values(template, "prod", {"ConnectInstanceId": INSTANCE,
                                                       "WhatsAppBusinessAccountId": WABA})
    assert (named["ConnectInstanceId"], named["WhatsAppBusinessAccountId"]) == (INSTANCE, WABA)
    dev = deploy.parameter_values(template, "dev", {})  # the template's defaults: `*`
    assert (dev["ConnectInstanceId"], dev["WhatsAppBusinessAccountId"]) == ("*", "*")


@pytest.mark.parametrize("arguments", [["--check", "package"], ["--dry-run"], []])
def test_make_package_and_make_deploy_refuse_the_shipped_prod_file_before_calling_anything(arguments):
    result = subprocess.run([sys.executable, "scripts/deploy_bridge.py", "--stage", "prod", *arguments],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "infra/stages/prod.json: set ConnectInstanceId and WhatsAppBusinessAccountId (the instance "
        "id; the business account's id, the last part of its ARN): `*` would let the prod stage reach "
        "every Connect instance and business account of this AWS account and Region, and only dev "
        "may use it (docs/deploy.md, Stage settings)"]
    assert "scripts/deploy_bridge.py --stage \"$STAGE\" --check package" in (
        ROOT / "scripts" / "package.sh").read_text()


# --- one source of parameters for both deploy paths ---------------------------------------------------

def test_both_paths_supply_every_parameter_of_their_template_from_the_stage_file(template, merged, tmp_path):
    settings = deploy.stage_settings("dev")
    # Path A: the resources stack make deploy creates.
    bootstrap = deploy.bootstrap_template(template)
    stack = deploy.parameter_values(bootstrap, "dev", settings, known=template["Parameters"])
    assert set(stack) == set(bootstrap["Parameters"])
    # Path B: the parameters file make package writes, for the merged template.
    target = tmp_path / "parameters.json"
    subprocess.run([sys.executable, "scripts/deploy_bridge.py", "--stage", "dev", "--check", "package",
                    "--write-parameters", str(target)], cwd=ROOT, check=True, capture_output=True, timeout=60)
    package = dict(line.split("=", 1) for line in json.loads(target.read_text()))
    assert set(package) == set(merged["Parameters"])
    for values in (stack, package):
        assert {name: values[name] for name in settings if name in values} == \
            {name: str(value) for name, value in settings.items() if name in values}
    without_default = {name for name, p in merged["Parameters"].items() if "Default" not in p}
    assert without_default <= set(package)
    assert "scripts/deploy_bridge.py --stage \"$STAGE\" --check package \\\n  --write-parameters" in (
        ROOT / "scripts" / "package.sh").read_text()


def test_prod_gets_its_own_values_on_the_package_path_not_the_template_defaults(template):
    settings = {**deploy.stage_settings("prod"), "ConnectInstanceId": INSTANCE, "WhatsAppBusinessAccountId": WABA}

    values = deploy.parameter_values(template, "prod", settings)

    assert (values["FailureRetentionDays"], values["MediaRetentionDays"]) == ("14", "30")
    assert template["Parameters"]["FailureRetentionDays"]["Default"] == "7"
    assert (values["WhatsAppBusinessAccountId"], values["AlarmTopicArn"]) == (WABA, "")


def test_the_docs_deploy_the_package_with_the_parameters_file():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    assert "--parameter-overrides file://build/package-prod/parameters.json" in guide
    assert "--parameter-overrides Stage=" not in guide
