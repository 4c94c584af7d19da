#!/usr/bin/env python3
"""`make deploy STAGE=<stage>`: the supporting resources stack, then `chalice deploy`, then the
failure handling of the stream and of the asynchronous invocations.

1. Creates or updates the CloudFormation stack `whatsapp-connect-chat-<stage>-resources` from
   infra/resources.json, keeping only its complete resources (entries without a `Type` are the
   overrides that `chalice package --merge-template` applies to the functions Chalice generates).
   The stage's parameter values come from infra/stages/<stage>.json.
2. Writes the stack's outputs into the stage of .chalice/config.json: the five environment
   variables and each function's execution role (the roles, with their scoped policies, are
   part of the stack).
3. Runs `chalice deploy --stage <stage>` with the decorator arguments app.py reads at import
   (INBOUND_TOPIC, STREAMING_TOPIC, BUFFER_TABLE_STREAM_ARN, BUFFER_SECONDS), after building the
   zip it uploads with compiled modules in it (scripts/compile_bytecode.py).
4. Applies to the DynamoDB stream's event source mapping what Chalice's decorator cannot
   express (partial batch responses, bisect, bounded retries and record age, on-failure queue),
   and to the functions invoked asynchronously (by SNS and EventBridge) their retries, maximum
   event age and on-failure queue (`PutFunctionEventInvokeConfig`), both read from the same
   overrides in infra/resources.json that the package path merges.

Everything AWS is reached through boto3 and the standard credential chain (AWS_PROFILE,
AWS_DEFAULT_REGION, ~/.aws/config...), plus AWS_REGION, which boto3 alone ignores. A missing
Region or missing credentials end it in one line (exit 2) before anything is called.
`--dry-run` prints what would be done (stack, parameters, chalice command and environment, the
Lambda settings of step 4) without calling AWS; `--write-parameters` writes the stage's stack
parameters for the package path (scripts/package.sh).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Mapping

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "resources.json"
STAGES = ROOT / "infra" / "stages"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
APP_NAME = "whatsapp-connect-chat"

# Chalice function name -> the logical id `chalice package` gives it.
FUNCTIONS = OrderedDict([
    ("on_whatsapp_event", "OnWhatsappEvent"),
    ("flush_buffer", "FlushBuffer"),
    ("on_connect_event", "OnConnectEvent"),
    ("on_transcription_job", "OnTranscriptionJob"),
    ("start_conversation", "StartConversation"),
    ("retry_waiting", "RetryWaiting"),
])
STREAM_EVENT = "FlushBufferDynamodbEventSource"
# Environment variable -> the stack output that holds its value.
ENVIRONMENT_OUTPUTS = OrderedDict([
    ("SESSIONS_TABLE", "SessionsTableName"),
    ("BUFFER_TABLE", "BufferTableName"),
    ("MEDIA_BUCKET", "MediaBucketName"),
    ("CONFIG_PARAMETER", "ConfigParameterName"),
    ("CONNECT_STREAMING_TOPIC_ARN", "StreamingTopicArn"),
])
# Stream mapping settings Chalice's decorator already sets; the rest come from the template.
_CHALICE_STREAM_PROPERTIES = {"Stream", "BatchSize", "StartingPosition", "MaximumBatchingWindowInSeconds"}
# Stack outputs: the SQS queues that keep what Lambda finally gave up on (stream batches, events).
FAILURE_QUEUE_OUTPUTS = ("FlushFailureQueueUrl", "AsyncFailureQueueUrl")
# The version an event invoke config applies to: SAM's choice for a function without an alias,
# and what SNS and EventBridge invoke (the unqualified function).
EVENT_INVOKE_QUALIFIER = "$LATEST"
# The parameters that scope the functions' policies and the topics' publishers to one Connect
# instance and one WhatsApp business account. `*` (or nothing) admits every instance, or every
# business account, of this AWS account and Region: handy for trying the bridge in dev, too wide
# for anything that serves customers, so every other stage must name both.
SCOPING_PARAMETERS = ("ConnectInstanceId", "WhatsAppBusinessAccountId")
WILDCARD_STAGES = frozenset({"dev"})
# What a shell without a Region or credentials is told (exit 2), instead of botocore's traceback.
REGION_MISSING = (
    "no AWS Region to deploy to: run `AWS_REGION=eu-west-2 make deploy STAGE=<stage>`, or "
    "`export AWS_DEFAULT_REGION=eu-west-2` first, or set `region` in your AWS_PROFILE's "
    "~/.aws/config section, with a Region that has Amazon Connect and End User Messaging Social "
    "(docs/deploy.md, Prerequisites)")
CREDENTIALS_MISSING = (
    "no AWS credentials in region {region}: `export AWS_PROFILE=<profile>` (after `aws sso login "
    "--profile <profile>` if it signs in through IAM Identity Center), or export "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; they need infra/deployer-policy.json "
    "(docs/deploy.md, Prerequisites)")


class MissingSetup(Exception):
    """What the shell lacks for calling AWS (Region, credentials): one line, exit status 2."""


def stack_name(stage: str) -> str:
    return f"{APP_NAME}-{stage}-resources"


def function_name(stage: str, function: str) -> str:
    """The Lambda name: what `chalice deploy` uses, and what the merge template sets."""
    return f"{APP_NAME}-{stage}-{function}"


def load_template(path: Path = TEMPLATE) -> dict:
    return json.loads(path.read_text(), object_pairs_hook=OrderedDict)


def stage_settings(stage: str) -> dict:
    path = STAGES / f"{stage}.json"
    if not path.exists():
        known = sorted(p.stem for p in STAGES.glob("*.json"))
        raise SystemExit(f"no stage settings {path.relative_to(ROOT)}; known stages: {', '.join(known)}")
    return json.loads(path.read_text())


# --- the template ---------------------------------------------------------------------------

def references(node: Any) -> set[str]:
    """Every resource or parameter name a template fragment refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(name.split(".", 1)[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text))
                if isinstance(value, list):
                    found.update(references(value[1]))
                    found.difference_update(value[1])
            else:
                found.update(references(value))
    elif isinstance(node, list):
        for value in node:
            found.update(references(value))
    return found


def chalice_overrides(template: Mapping) -> dict:
    """The entries without a Type: fragments merged into what `chalice package` generates."""
    return {name: body for name, body in template["Resources"].items() if "Type" not in body}


def bootstrap_template(template: Mapping) -> dict:
    """infra/resources.json as a stack of its own: complete resources, and the parameters that
    they, the outputs, the conditions and the rules use."""
    result = copy.deepcopy(dict(template))
    result["Resources"] = OrderedDict(
        (name, body) for name, body in template["Resources"].items() if "Type" in body)
    used = references([result["Resources"], result.get("Outputs", {}),
                       result.get("Conditions", {}), result.get("Rules", {})])
    result["Parameters"] = OrderedDict(
        (name, body) for name, body in template.get("Parameters", {}).items() if name in used)
    return result


class Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Sub and Fn::Join against known values.

    `values` maps `Name` (Ref), `Name.Attribute` (GetAtt) and pseudo parameters (`AWS::Region`).
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def lookup(self, name: str) -> Any:
        if name not in self.values:
            raise KeyError(f"no value for {name}")
        return self.values[name]

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                return self.lookup(value)
            if key == "Fn::GetAtt":
                target, attribute = value if isinstance(value, list) else value.split(".", 1)
                return self.lookup(f"{target}.{attribute}")
            if key == "Fn::Sub":
                text, extra = (value[0], self(value[1])) if isinstance(value, list) else (value, {})
                return re.sub(r"\$\{([^!}][^}]*)\}",
                              lambda m: str(extra[m.group(1)] if m.group(1) in extra else self.lookup(m.group(1))),
                              text)
            if key == "Fn::Join":
                separator, items = value
                return separator.join(str(item) for item in self(items))
        return OrderedDict((key, self(value)) for key, value in node.items())


def values_from_outputs(template: Mapping, outputs: Mapping[str, str]) -> dict[str, str]:
    """What the stack's outputs tell about its resources, keyed the way Resolver looks them up."""
    values: dict[str, str] = {}
    for name, output in template.get("Outputs", {}).items():
        if name not in outputs:
            continue
        expression = output["Value"]
        if "Ref" in expression:
            values[expression["Ref"]] = outputs[name]
        elif "Fn::GetAtt" in expression:
            target, attribute = expression["Fn::GetAtt"]
            values[f"{target}.{attribute}"] = outputs[name]
    return values


def parameter_values(template: Mapping, stage: str, settings: Mapping[str, Any],
                     known: Iterable[str] | None = None) -> dict[str, str]:
    """The stack parameters: Stage, then infra/stages/<stage>.json, then the template defaults.

    `known` names every parameter a stage file may set (default: the template's own)."""
    values = {}
    for name, parameter in template.get("Parameters", {}).items():
        if name == "Stage":
            values[name] = stage
        elif name in settings:
            values[name] = str(settings[name])
        elif "Default" in parameter:
            values[name] = str(parameter["Default"])
        else:
            raise SystemExit(f"parameter {name} has no value in infra/stages/{stage}.json")
    unknown = sorted(set(settings) - set(known if known is not None else template.get("Parameters", {})))
    if unknown:
        raise SystemExit(f"infra/stages/{stage}.json names unknown parameters: {', '.join(unknown)}")
    refusal = scope_refusal(stage, values) or inbound_flow_refusal(stage, values)
    if refusal:
        raise SystemExit(refusal)
    return values


def scope_refusal(stage: str, values: Mapping[str, str]) -> str | None:
    """One line when a stage other than dev leaves its Connect instance or business account open."""
    wide = [name for name in SCOPING_PARAMETERS if name in values and values[name] in ("*", "")]
    if stage in WILDCARD_STAGES or not wide:
        return None
    return (f"infra/stages/{stage}.json: set {' and '.join(wide)} (the instance id; the business "
            f"account's id, the last part of its ARN): `*` would let the {stage} stage reach every "
            f"Connect instance and business account of this AWS account and Region, and only dev "
            f"may use it (docs/deploy.md, Stage settings)")


def inbound_flow_refusal(stage: str, values: Mapping[str, str]) -> str | None:
    """One line when the stack is to create the inbound flow without a queue, or in another
    instance than the one the bridge may start chats in."""
    if values.get("CreateInboundFlow") != "true":
        return None
    queue = values.get("InboundFlowQueueArn", "")
    if not queue:
        return (f"infra/stages/{stage}.json: CreateInboundFlow is true, so set InboundFlowQueueArn, "
                f"the queue the flow sends chats to (arn:aws:connect:<region>:<account>:instance/"
                f"<instance id>/queue/<queue id>, on the queue's page in the Connect console; "
                f"docs/deploy.md, The Connect side)")
    instance = values.get("ConnectInstanceId", "*")
    if instance not in ("*", "") and f":instance/{instance}/queue/" not in queue:
        return (f"infra/stages/{stage}.json: InboundFlowQueueArn is a queue of another instance than "
                f"ConnectInstanceId {instance}: the flow would be created where the bridge may not "
                f"start chats (docs/deploy.md, The Connect side)")
    return None


def shell_refusal(command: str, stage: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """One line when the shell would make `chalice <command>` ship the sandbox: app.py refuses it
    there too (chalicelib/local_blueprints.py), but only after the resources stack is deployed."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from chalicelib import local_blueprints

    return local_blueprints.refusal(local_blueprints.names(environ), command, stage)


def stream_mapping_settings(template: Mapping, resolver: Resolver) -> dict:
    """The event source mapping settings the merge template adds to Chalice's, as Lambda's
    UpdateEventSourceMapping takes them."""
    event = template["Resources"]["FlushBuffer"]["Properties"]["Events"][STREAM_EVENT]["Properties"]
    return resolver(OrderedDict((key, value) for key, value in event.items()
                                if key not in _CHALICE_STREAM_PROPERTIES))


def event_invoke_settings(template: Mapping, resolver: Resolver) -> dict[str, dict]:
    """Chalice function -> the `EventInvokeConfig` its override gives it (retries, maximum event
    age, destinations), as Lambda's PutFunctionEventInvokeConfig takes it (without FunctionName).

    SAM's destinations carry a `Type` (SQS, SNS...) that the API infers from the ARN."""
    result: dict[str, dict] = OrderedDict()
    resources = template["Resources"]
    for function, logical_id in FUNCTIONS.items():
        config = resources.get(logical_id, {}).get("Properties", {}).get("EventInvokeConfig")
        if not config:
            continue
        settings = OrderedDict([("Qualifier", EVENT_INVOKE_QUALIFIER)])
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if key in config:
                settings[key] = config[key]
        destinations = OrderedDict(
            (outcome, OrderedDict([("Destination", target["Destination"])]))
            for outcome, target in config.get("DestinationConfig", {}).items())
        if destinations:
            settings["DestinationConfig"] = destinations
        result[function] = resolver(settings)
    return result


# --- Chalice ----------------------------------------------------------------------------------

def render_stage_config(config: Mapping, stage: str, outputs: Mapping[str, str]) -> dict:
    """.chalice/config.json with the stage's environment and execution roles from the stack."""
    result = copy.deepcopy(dict(config))
    stage_config = result["stages"].setdefault(stage, OrderedDict())
    environment = stage_config.setdefault("environment_variables", OrderedDict())
    for variable, output in ENVIRONMENT_OUTPUTS.items():
        environment[variable] = outputs[output]
    functions = stage_config.setdefault("lambda_functions", OrderedDict())
    for function, logical_id in FUNCTIONS.items():
        functions.setdefault(function, OrderedDict())["iam_role_arn"] = outputs[f"{logical_id}RoleArn"]
    return result


def decorator_environment(outputs: Mapping[str, str], settings: Mapping[str, Any],
                          template: Mapping) -> dict[str, str]:
    """The values app.py puts in its decorators when Chalice imports it."""
    buffer_seconds = settings.get("BufferSeconds", template["Parameters"]["BufferSeconds"]["Default"])
    return {
        "INBOUND_TOPIC": outputs["InboundTopicArn"],
        "STREAMING_TOPIC": outputs["StreamingTopicArn"],
        "BUFFER_TABLE_STREAM_ARN": outputs["BufferTableStreamArn"],
        "BUFFER_SECONDS": str(buffer_seconds),
    }


# --- AWS --------------------------------------------------------------------------------------

def deploy_stack(cloudformation: Any, name: str, template: Mapping, parameters: Mapping[str, str],
                 log=print) -> None:
    """Create or update the stack through a change set; a stack without changes is left alone."""
    change_set_type = "UPDATE"
    try:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"] == "REVIEW_IN_PROGRESS":
            change_set_type = "CREATE"
        elif stack["StackStatus"] == "ROLLBACK_COMPLETE":
            raise SystemExit(f"stack {name} failed to create earlier (ROLLBACK_COMPLETE); delete it "
                             f"(aws cloudformation delete-stack --stack-name {name}) and deploy again")
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" not in str(error):
            raise
        change_set_type = "CREATE"
    change_set = f"deploy-{int(time.time())}"
    cloudformation.create_change_set(
        StackName=name, ChangeSetName=change_set, ChangeSetType=change_set_type,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
        Tags=[{"Key": "app", "Value": APP_NAME}])
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig={"Delay": 5, "MaxAttempts": 120})
    except Exception:
        described = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set)
        reason = described.get("StatusReason", "")
        if "didn't contain changes" in reason or "No updates are to be performed" in reason:
            cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
            log(f"stack {name}: no changes")
            return
        raise SystemExit(f"stack {name}: change set failed: {reason}")
    log(f"stack {name}: {change_set_type.lower()} in progress")
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    waiter = "stack_create_complete" if change_set_type == "CREATE" else "stack_update_complete"
    cloudformation.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    log(f"stack {name}: {change_set_type.lower()} complete")


def stack_outputs(cloudformation: Any, name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def configure_stream(lambda_client: Any, function: str, stream_arn: str, settings: Mapping) -> str:
    """Apply the settings to the function's mapping of the stream; returns the mapping's UUID."""
    mappings = lambda_client.list_event_source_mappings(
        FunctionName=function, EventSourceArn=stream_arn)["EventSourceMappings"]
    if len(mappings) != 1:
        raise SystemExit(f"expected one event source mapping of {function} on {stream_arn}, "
                         f"found {len(mappings)}")
    uuid = mappings[0]["UUID"]
    for _ in range(30):  # a mapping being created or updated refuses changes for a moment
        state = lambda_client.get_event_source_mapping(UUID=uuid)["State"]
        if state in ("Enabled", "Disabled"):
            break
        time.sleep(2)
    lambda_client.update_event_source_mapping(UUID=uuid, **settings)
    return uuid


def configure_async_invocation(lambda_client: Any, function: str, settings: Mapping,
                               attempts: int = 30, sleep=time.sleep) -> None:
    """Set the function's asynchronous invocation config (it replaces any earlier one whole)."""
    for attempt in range(attempts):
        try:
            lambda_client.put_function_event_invoke_config(FunctionName=function, **settings)
            return
        except lambda_client.exceptions.ResourceConflictException:
            # The function is still being created or updated by `chalice deploy`.
            if attempt == attempts - 1:
                raise
            sleep(2)


def function_settings(template: Mapping, stage: str, settings: Mapping[str, Any],
                      outputs: Mapping[str, str]) -> tuple[dict, dict[str, dict]]:
    """Step 4's settings: the stream mapping's, and each asynchronously invoked function's."""
    resolver = Resolver({**values_from_outputs(template, outputs),
                         **parameter_values(template, stage, settings)})
    return stream_mapping_settings(template, resolver), event_invoke_settings(template, resolver)


def configure_functions(lambda_client: Any, stage: str, template: Mapping, outputs: Mapping[str, str],
                        settings: Mapping[str, Any], log=print) -> None:
    """Step 4: the failure handling that `chalice deploy` cannot set, from the template's overrides."""
    stream_settings, invoke_settings_by_function = function_settings(template, stage, settings, outputs)
    uuid = configure_stream(lambda_client, function_name(stage, "flush_buffer"),
                            outputs["BufferTableStreamArn"], stream_settings)
    log(f"stream mapping {uuid}: {json.dumps(stream_settings)}")
    for function, invoke_settings in invoke_settings_by_function.items():
        configure_async_invocation(lambda_client, function_name(stage, function), invoke_settings)
        log(f"asynchronous invocations of {function}: {json.dumps(invoke_settings)}")


def chalice_commands(stage: str) -> list[list[str]]:
    """Step 3. The zip `chalice deploy` uploads is built first so that it carries the compiled
    modules (scripts/compile_bytecode.py; docs/deploy-package.md): Chalice reuses it. Chalice
    imports app.py before it packages, so it runs with -B: bytecode written into
    chalicelib/__pycache__ then would change the hash that names the zip, and Chalice would build
    another one, without the compiled modules."""
    return [[sys.executable, str(ROOT / "scripts" / "compile_bytecode.py"), "--stage", stage],
            [sys.executable, "-B", str(Path(sys.executable).with_name("chalice")), "deploy",
             "--stage", stage]]


def plan(template: Mapping, stage: str, settings: Mapping[str, Any], region: str) -> dict:
    """What `make deploy` would do (--dry-run), the stack's outputs standing as `<OutputName>`."""
    bootstrap = bootstrap_template(template)
    outputs = {name: f"<{name}>" for name in template.get("Outputs", {})}
    stream_settings, invoke_settings = function_settings(template, stage, settings, outputs)
    config = json.loads(CHALICE_CONFIG.read_text(), object_pairs_hook=OrderedDict)
    return OrderedDict([
        ("region", region),
        ("stack", stack_name(stage)),
        ("parameters", parameter_values(bootstrap, stage, settings, known=template["Parameters"])),
        ("resources", list(bootstrap["Resources"])),
        ("chalice_config", render_stage_config(config, stage, outputs)["stages"][stage]),
        ("commands", chalice_commands(stage)),
        ("chalice_environment", decorator_environment(outputs, settings, template)),
        ("stream_mapping", stream_settings),
        ("async_invocations", invoke_settings),
        ("package_path_only", list(chalice_overrides(template))),
    ])


def write_parameters(path: Path, parameters: Mapping[str, str]) -> None:
    """The stack parameters as `aws cloudformation deploy --parameter-overrides file://<path>`
    reads them: a JSON list of `Key=Value`."""
    path.write_text(json.dumps([f"{name}={value}" for name, value in parameters.items()], indent=2) + "\n")


def configured_region() -> str | None:
    """The Region of the standard chain (AWS_DEFAULT_REGION, the profile's `region`), else
    AWS_REGION, which other AWS tools read and boto3 does not. Reads configuration only; raises
    botocore's ProfileNotFound for an AWS_PROFILE that no file defines."""
    import boto3

    return boto3.session.Session().region_name or os.environ.get("AWS_REGION") or None


def aws_session() -> Any:
    """The boto3 session `make deploy` calls AWS with; MissingSetup names what the shell lacks."""
    import boto3
    import botocore.exceptions

    try:
        region = configured_region()
        if not region:
            raise MissingSetup(REGION_MISSING)
        session = boto3.session.Session(region_name=region)
        credentials = session.get_credentials()
        if credentials is None:
            raise MissingSetup(CREDENTIALS_MISSING.format(region=region))
        # An expired IAM Identity Center sign-in or a role that cannot be assumed fails here,
        # not halfway through the deploy.
        credentials.get_frozen_credentials()
    except botocore.exceptions.BotoCoreError as error:
        raise MissingSetup(f"the AWS credentials could not be loaded: {error} (docs/deploy.md, "
                           f"Prerequisites)") from None
    return session


def write_config(config: Mapping) -> None:
    CHALICE_CONFIG.write_text(json.dumps(config, indent=2) + "\n")


def next_steps(stage: str, outputs: Mapping[str, str]) -> str:
    if "InboundFlowId" in outputs:
        settings_step = (f"  1. Check the settings: SSM parameter {outputs['ConfigParameterName']} was "
                         f"seeded with the inbound flow the stack created ({outputs['InboundFlowId']}) "
                         "as contact_flow_id, and its instance.")
    else:
        settings_step = (f"  1. Fill in the settings: SSM parameter {outputs['ConfigParameterName']} "
                         "(instance_id, contact_flow_id, ...).")
    return "\n".join([
        "",
        f"Deployed stage {stage}. Still to do once, by hand (docs/deploy.md, After the first deploy):",
        settings_step,
        "  2. In the End User Messaging Social console, set the event destination of your WhatsApp "
        f"business account to the SNS topic\n       {outputs['InboundTopicArn']}",
        "Logs:",
        *(f"  chalice logs --stage {stage} --name {function}" for function in FUNCTIONS),
        "Events Lambda gave up on (docs/deploy.md, Failed events; both should stay empty):",
        *(f"  {outputs[queue]}" for queue in FAILURE_QUEUE_OUTPUTS if queue in outputs),
    ])


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--dry-run", action="store_true",
                        help="print what the deploy would do: Region, stack, parameters, resources, the "
                             "chalice command and its environment, the Lambda settings; call nothing")
    parser.add_argument("--check", choices=("deploy", "package"),
                        help="only check the stage's settings and the shell for this command (make "
                             "package runs it first); call nothing")
    parser.add_argument("--write-parameters", type=Path, metavar="PATH",
                        help="write every parameter of the merged template for the stage, as "
                             "`aws cloudformation deploy --parameter-overrides file://PATH` reads them")
    args = parser.parse_args(list(argv) if argv is not None else None)
    stage = args.stage
    refusal = shell_refusal(args.check or "deploy", stage)
    if refusal:
        raise SystemExit(refusal)
    template = load_template()
    settings = stage_settings(stage)
    bootstrap = bootstrap_template(template)
    parameters = parameter_values(bootstrap, stage, settings, known=template["Parameters"])
    if args.write_parameters:
        write_parameters(args.write_parameters, parameter_values(template, stage, settings))
        print(f"{args.write_parameters}: the parameters of infra/stages/{stage}.json and the template's defaults")
    if args.check or args.write_parameters:
        return 0
    if args.dry_run:
        import botocore.exceptions

        try:
            region = configured_region() or REGION_MISSING
        except botocore.exceptions.BotoCoreError as error:  # ProfileNotFound: show the rest anyway
            region = str(error)
        print(json.dumps(plan(template, stage, settings, region), indent=2))
        return 0

    try:
        session = aws_session()
    except MissingSetup as missing:
        print(missing, file=sys.stderr)
        return 2
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    deploy_stack(cloudformation, name, bootstrap, parameters)
    outputs = stack_outputs(cloudformation, name)

    write_config(render_stage_config(json.loads(CHALICE_CONFIG.read_text(), object_pairs_hook=OrderedDict),
                                     stage, outputs))
    print(f".chalice/config.json: stage {stage} now points at stack {name}")

    environment = {**os.environ, "AWS_DEFAULT_REGION": session.region_name,
                   **decorator_environment(outputs, settings, template)}
    for command in chalice_commands(stage):
        subprocess.run(command, cwd=ROOT, env=environment, check=True)

    configure_functions(session.client("lambda"), stage, template, outputs, settings)
    print(next_steps(stage, outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
