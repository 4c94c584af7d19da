"""Deployment, checked offline: `chalice package` (with and without infra/resources.json merged),
cfn-lint, the per-function IAM policies against the AWS calls the code really makes, and the
pieces of `make deploy` that need no AWS account.

`chalice package` builds the deployment zip with every dependency, so it runs once per module.
"""
from __future__ import annotations

import ast
import copy
import fnmatch
import importlib.util
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import botocore.session
import pytest

from tests.conftest import (
    ACCOUNT, BUFFER_TABLE, CONFIG_PARAMETER, DEFAULT_SETTINGS, MEDIA_BUCKET, REGION, SESSIONS_TABLE,
    STREAMING_TOPIC_ARN, load_event, put_settings, text_from_customer, with_messages,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FUNCTIONS = {"on_whatsapp_event": "OnWhatsappEvent", "flush_buffer": "FlushBuffer",
             "on_connect_event": "OnConnectEvent", "on_transcription_job": "OnTranscriptionJob"}
ENVIRONMENT = {"SESSIONS_TABLE": "SessionsTable", "BUFFER_TABLE": "BufferTable",
               "MEDIA_BUCKET": "MediaBucket", "CONFIG_PARAMETER": "ConfigParameter",
               "CONNECT_STREAMING_TOPIC_ARN": "StreamingTopic"}
# Services the product's clients talk to (runtime.Clients), by botocore name.
CLIENT_SERVICES = ("dynamodb", "ssm", "connect", "connectparticipant", "socialmessaging", "s3", "transcribe")
# Granted for the platform, not for a call in the code: Lambda writes logs and traces with the
# function's role, and sends what it gives up on (the stream's failed batches, asynchronous events
# whose retries or age ran out) to the function's on-failure queue with it (failure_destinations).
PLATFORM_ACTIONS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                    "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Invoked asynchronously (SNS subscriptions, EventBridge rule): Lambda retries, then gives up.
ASYNC_FUNCTIONS = ("on_whatsapp_event", "on_connect_event", "on_transcription_job")
# Not in cfn-lint's copy of the Service Authorization Reference (the API is newer): its resource
# scoping cannot be checked offline, so it shares the Transcribe statement's "*".
UNLISTED_ACTIONS = {"transcribe:TranscribeAudio"}


def _load_deploy_module():
    spec = importlib.util.spec_from_file_location("deploy_bridge", ROOT / "scripts" / "deploy_bridge.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = _load_deploy_module()


def chalice_package(stage: str, outdir: Path, merge: bool, extra_env: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("INBOUND_TOPIC", "STREAMING_TOPIC", "BUFFER_TABLE_STREAM_ARN", "BUFFER_SECONDS")}
    env.update(extra_env or {})
    command = [str(BIN / "chalice"), "package", "--stage", stage]
    if merge:
        command += ["--merge-template", "infra/resources.json"]
    subprocess.run(command + [str(outdir)], cwd=ROOT, env=env, check=True, capture_output=True)
    return json.loads((outdir / "sam.json").read_text())


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    base = tmp_path_factory.mktemp("package")
    merged = chalice_package("dev", base / "merged", merge=True)
    bare = chalice_package("prod", base / "bare", merge=False)  # reuses the cached zip
    return {"merged": merged, "bare": bare, "dir": base}


@pytest.fixture(scope="module")
def merged(packages):
    return packages["merged"]


@pytest.fixture(scope="module")
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


# --- the packaged template ------------------------------------------------------------------------

def test_four_functions_with_the_fixed_names(merged):
    functions = {k: v for k, v in merged["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == set(FUNCTIONS.values())
    for name, logical_id in FUNCTIONS.items():
        properties = functions[logical_id]["Properties"]
        assert properties["Handler"] == f"app.{name}"
        assert properties["Runtime"] == "python3.11"
        # The name `chalice deploy` gives, so logs, roles and both deploy paths agree.
        assert properties["FunctionName"] == {"Fn::Sub": f"whatsapp-connect-chat-${{Stage}}-{name}"}
        assert properties["Tracing"] == "Active"
        assert properties["Role"] == {"Fn::GetAtt": [f"{logical_id}Role", "Arn"]}


def test_sns_subscriptions_to_the_two_topics(merged):
    inbound = function(merged, "on_whatsapp_event")["Events"]["OnWhatsappEventSnsSubscription"]
    streaming = function(merged, "on_connect_event")["Events"]["OnConnectEventSnsSubscription"]
    assert inbound == {"Type": "SNS", "Properties": {"Topic": {"Fn::Sub": "${InboundTopic}"}}}
    assert streaming == {"Type": "SNS", "Properties": {"Topic": {"Fn::Sub": "${StreamingTopic}"}}}


def test_transcribe_job_events_reach_on_transcription_job(merged):
    (event,) = function(merged, "on_transcription_job")["Events"].values()
    assert event["Type"] == "CloudWatchEvent"
    assert event["Properties"]["Pattern"] == {
        "source": ["aws.transcribe"], "detail-type": ["Transcribe Job State Change"],
        "detail": {"TranscriptionJobStatus": ["COMPLETED", "FAILED"]}}


def test_stream_event_source_batches_for_the_buffer_time_and_keeps_what_fails(merged):
    import app as app_module

    (event,) = function(merged, "flush_buffer")["Events"].values()
    assert event["Type"] == "DynamoDB"
    properties = event["Properties"]
    assert properties["Stream"] == {"Fn::GetAtt": ["BufferTable", "StreamArn"]}
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["BatchSize"] == 100
    assert properties["MaximumBatchingWindowInSeconds"] == {"Ref": "BufferSeconds"}
    assert merged["Parameters"]["BufferSeconds"]["Default"] == app_module.BUFFER_SECONDS == 2
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert 1 <= properties["MaximumRetryAttempts"] <= 100
    # Inside the stream's and the buffer items' 24 hours, so what is given up is still readable.
    assert 60 <= properties["MaximumRecordAgeInSeconds"] <= 24 * 3600
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["FlushFailureQueue", "Arn"]}}}
    queue = merged["Resources"]["FlushFailureQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["SqsManagedSseEnabled"] is True


def test_asynchronous_invocations_end_in_the_failure_queue(merged):
    """SNS and EventBridge invoke asynchronously: after bounded retries, or once the event is too
    old, Lambda puts it in AsyncFailureQueue instead of dropping it."""
    for name in ASYNC_FUNCTIONS:
        config = function(merged, name)["EventInvokeConfig"]
        assert config == {
            "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 6 * 3600,
            "DestinationConfig": {"OnFailure": {
                "Type": "SQS", "Destination": {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}}}}, name
        # Lambda's limits: 0-2 retries, 60 s-6 h of age.
        assert 0 <= config["MaximumRetryAttempts"] <= 2
        assert 60 <= config["MaximumEventAgeInSeconds"] <= 21600
        # An explicit role: SAM adds no policy for the destination, the role grants it (see IAM).
        assert "Policies" not in function(merged, name)
    # The stream's poller invokes synchronously; its failures go through the mapping's destination.
    assert "EventInvokeConfig" not in function(merged, "flush_buffer")
    # Every function has somewhere to put what it gives up on.
    for name in FUNCTIONS:
        assert len(failure_destinations(merged, name)) == 1, name
    queue = merged["Resources"]["AsyncFailureQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"] == {"MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True}
    assert "FifoQueue" not in queue["Properties"]  # Lambda's destinations take standard queues only


def test_every_function_gets_the_five_environment_variables_from_the_stack(merged):
    for name in FUNCTIONS:
        variables = function(merged, name)["Environment"]["Variables"]
        assert variables == {key: {"Ref": logical_id} for key, logical_id in ENVIRONMENT.items()}


def test_log_groups_keep_the_stages_retention(merged, packages):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for name, logical_id in FUNCTIONS.items():
        group = merged["Resources"][f"{logical_id}LogGroup"]["Properties"]
        assert group["RetentionInDays"] == config["stages"]["dev"]["log_retention_in_days"]
        bare = packages["bare"]["Resources"][f"{logical_id}LogGroup"]["Properties"]
        assert bare["RetentionInDays"] == config["stages"]["prod"]["log_retention_in_days"]


def test_package_without_merge_template_has_the_functions_and_no_roles(packages):
    bare = packages["bare"]
    functions = {k for k, v in bare["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert functions == set(FUNCTIONS.values())
    assert not [k for k, v in bare["Resources"].items() if v["Type"] == "AWS::IAM::Role"]
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    for name, logical_id in FUNCTIONS.items():
        properties = bare["Resources"][logical_id]["Properties"]
        assert properties["Role"] == config["lambda_functions"][name]["iam_role_arn"]
        assert set(properties["Environment"]["Variables"]) == set(ENVIRONMENT)


# --- .chalice/config.json -------------------------------------------------------------------------

def test_config_has_dev_and_prod_with_tuned_functions_and_no_generated_policy():
    from chalicelib.outbound import OUTBOUND_LOCK_SECONDS

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["app_name"] == "whatsapp-connect-chat"
    assert config["autogen_policy"] is False
    assert config["manage_iam_role"] is False  # the roles come from infra/resources.json
    assert config["xray"] is True
    assert {"dev", "prod"} <= set(config["stages"])
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        assert settings["log_retention_in_days"] in (14, 30, 60, 90, 180, 365)
        assert set(settings["environment_variables"]) == set(ENVIRONMENT)
        functions = settings["lambda_functions"]
        assert set(functions) == set(FUNCTIONS)
        for name, values in functions.items():
            assert 128 <= values["lambda_memory_size"] <= 3008
            assert 3 <= values["lambda_timeout"] <= 900
            assert values["iam_role_arn"].startswith("arn:aws:iam::")
        # A claimed outbound message is taken over after the lock: only a dead invocation's claim.
        assert functions["on_connect_event"]["lambda_timeout"] < OUTBOUND_LOCK_SECONDS
        # Media and ffmpeg: more memory (and CPU) where files are converted.
        assert functions["flush_buffer"]["lambda_memory_size"] >= 1024
        assert functions["on_connect_event"]["lambda_memory_size"] >= 1024


def test_stage_files_name_only_template_parameters(template):
    for path in (ROOT / "infra" / "stages").glob("*.json"):
        assert set(json.loads(path.read_text())) <= set(template["Parameters"]), path.name
    dev = json.loads((ROOT / "infra" / "stages" / "dev.json").read_text())
    prod = json.loads((ROOT / "infra" / "stages" / "prod.json").read_text())
    assert dev["ConfigParameterName"] != prod["ConfigParameterName"]  # both stages fit one account
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage, settings in (("dev", dev), ("prod", prod)):
        assert config["stages"][stage]["environment_variables"]["CONFIG_PARAMETER"] == \
            settings["ConfigParameterName"]


# --- infra/resources.json ---------------------------------------------------------------------------

def test_supporting_resources(template):
    resources = template["Resources"]
    sessions = resources["SessionsTable"]["Properties"]
    assert sessions["BillingMode"] == "PAY_PER_REQUEST"
    assert sessions["KeySchema"] == [{"AttributeName": "contactId", "KeyType": "HASH"}]
    (index,) = sessions["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "customerId-index"
    assert index["KeySchema"] == [{"AttributeName": "customerId", "KeyType": "HASH"}]
    assert sessions["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert sessions["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert sessions["SSESpecification"] == {"SSEEnabled": True}
    buffer = resources["BufferTable"]["Properties"]
    assert buffer["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert buffer["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}

    bucket = resources["MediaBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and "Prefix" not in rule
    assert rule["ExpirationInDays"] == {"Ref": "MediaRetentionDays"}
    (tls,) = resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert tls["Effect"] == "Deny" and tls["Action"] == "s3:*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls["Resource"] == [{"Fn::GetAtt": ["MediaBucket", "Arn"]}, {"Fn::Sub": "${MediaBucket.Arn}/*"}]

    for topic, service in (("InboundTopic", "social-messaging.amazonaws.com"),
                           ("StreamingTopic", "connect.amazonaws.com")):
        assert "FifoTopic" not in resources[topic]["Properties"]
        policy = resources[f"{topic}Policy"]["Properties"]
        assert policy["Topics"] == [{"Ref": topic}]
        (statement,) = policy["PolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": service}
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == {"Ref": topic}
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}

    parameter = resources["ConfigParameter"]["Properties"]
    assert parameter["Name"] == {"Ref": "ConfigParameterName"}
    assert template["Parameters"]["ConfigParameterName"]["Default"] == CONFIG_PARAMETER
    seeded = json.loads(parameter["Value"])
    assert seeded == {"instance_id": "INSTANCE_ID", "contact_flow_id": "CONTACT_FLOW_ID",
                      "chat_duration_minutes": 60, "ignore_reactions": "yes", "ignore_stickers": "yes"}


def test_seeded_settings_are_rejected_until_filled_in(template):
    from chalicelib.config import SettingsError, parse_settings

    with pytest.raises(SettingsError, match="placeholder"):
        parse_settings(template["Resources"]["ConfigParameter"]["Properties"]["Value"])


def test_outputs_hold_everything_the_deploy_hands_to_chalice(template):
    outputs = set(template["Outputs"])
    assert set(deploy.ENVIRONMENT_OUTPUTS.values()) <= outputs
    assert {"InboundTopicArn", "StreamingTopicArn", "BufferTableStreamArn", "FlushFailureQueueArn",
            "AsyncFailureQueueArn"} <= outputs
    # Every queue the functions' failure destinations name is an output, to read, alarm and redrive.
    assert set(deploy.FAILURE_QUEUE_OUTPUTS) == {"FlushFailureQueueUrl", "AsyncFailureQueueUrl"} <= outputs
    assert {f"{logical_id}RoleArn" for logical_id in FUNCTIONS.values()} <= outputs


def test_entries_without_a_type_only_complete_what_chalice_generates(template, packages):
    overrides = deploy.chalice_overrides(template)
    generated = packages["bare"]["Resources"]
    assert set(overrides) == set(FUNCTIONS.values())
    assert set(overrides) <= set(generated)
    bootstrap = deploy.bootstrap_template(template)
    assert all("Type" in body for body in bootstrap["Resources"].values())
    assert {"SessionsTable", "BufferTable", "MediaBucket", "InboundTopic", "StreamingTopic",
            "ConfigParameter", "FlushFailureQueue", "AsyncFailureQueue"} <= set(bootstrap["Resources"])
    assert "BufferSeconds" not in bootstrap["Parameters"]  # only the merged functions use it


# --- cfn-lint ------------------------------------------------------------------------------------------

def cfn_lint(path: Path) -> list[dict]:
    result = subprocess.run([str(BIN / "cfn-lint"), "--format", "json", str(path)],
                            capture_output=True, text=True)
    assert result.returncode in (0, 4, 8, 12), result.stderr
    return json.loads(result.stdout or "[]")


def assert_lints_clean(path: Path) -> None:
    findings = cfn_lint(path)
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == []
    others = {(f["Rule"]["Id"], f["Message"].split(" ", 1)[0]) for f in findings}
    # cfn-lint's IAM data predates TranscribeAudio (see UNLISTED_ACTIONS); nothing else is allowed.
    assert others <= {("W3037", "'transcribeaudio'")}, findings


def test_lint_merged_template(packages):
    assert_lints_clean(packages["dir"] / "merged" / "sam.json")


def test_lint_bare_template(packages):
    assert_lints_clean(packages["dir"] / "bare" / "sam.json")


def test_lint_resources_stack_of_make_deploy(template, tmp_path):
    path = tmp_path / "bootstrap.json"
    path.write_text(json.dumps(deploy.bootstrap_template(template)))
    assert_lints_clean(path)


# --- IAM: each function may make exactly the calls its code makes ---------------------------------------




def resolver_values(stream_arn: str) -> dict:
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    return {
        "AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
        "Stage": "test", "ConnectInstanceId": "*", "BufferSeconds": 2,
        "SessionsTable": SESSIONS_TABLE, "SessionsTable.Arn": arn.format("dynamodb", f"table/{SESSIONS_TABLE}"),
        "BufferTable": BUFFER_TABLE, "BufferTable.Arn": arn.format("dynamodb", f"table/{BUFFER_TABLE}"),
        "BufferTable.StreamArn": stream_arn,
        "MediaBucket": MEDIA_BUCKET, "MediaBucket.Arn": f"arn:aws:s3:::{MEDIA_BUCKET}",
        "ConfigParameter": CONFIG_PARAMETER, "StreamingTopic": STREAMING_TOPIC_ARN,
        "InboundTopic": arn.format("sns", "inbound"),
        "FlushFailureQueue.Arn": arn.format("sqs", "flush-failures"),
        "AsyncFailureQueue.Arn": arn.format("sqs", "async-failures"),
    }


def function_policy(merged: dict, name: str, resolver) -> list[dict]:
    role = function(merged, name)["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in merged["Resources"][role]["Properties"]["Policies"]:
        statements += resolver(policy["PolicyDocument"])["Statement"]
    return statements


def _listify(value):
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict, context: dict) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            if key not in context:
                return False
            match = {"StringLike": fnmatch.fnmatchcase, "StringEquals": str.__eq__}[operator]
            if not any(match(context[key], pattern) for pattern in _listify(expected)):
                return False
    return True


def allowing_statements(statements: list[dict], action: str, resource: str, context: dict) -> list[int]:
    found = []
    for index, statement in enumerate(statements):
        if statement["Effect"] != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listify(statement["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listify(statement["Resource"])):
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            found.append(index)
    return found


def _table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _s3_uri_arn(uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return _object_arn(bucket, key)


def _phone_number_arn(origination: str) -> str:
    if origination.startswith("arn:"):
        return origination
    return f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:phone-number-id/{origination.removeprefix('phone-number-id-')}"


def required_permissions(call: dict, stream_arn: str) -> list[tuple[str, str, dict]]:
    """The IAM (action, resource, condition context) a logged AWS call needs, dependent actions
    included: what the service does with the caller's permissions (S3 for media and Transcribe)."""
    service, operation, params = call["service"], call["operation"], call["params"]
    if service in ("connectparticipant", "upload"):
        return []  # bearer-token API and presigned URLs: no IAM
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[kind]}", _table_arn(body["TableName"]), {})
                    for item in params["TransactItems"] for kind, body in item.items()]
        resource = _table_arn(params["TableName"])
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", resource, {})]
    if service == "dynamodbstreams":  # Lambda's poller reads the stream with the function's role
        return [(f"dynamodb:{operation}", params.get("StreamArn", stream_arn), {})]
    if service == "ssm":
        return [(f"ssm:{operation}", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{params['Name']}", {})]
    if service == "s3":
        if operation in ("ListObjectsV2", "ListObjects"):
            prefix = params.get("query", {}).get("prefix", "")
            return [("s3:ListBucket", f"arn:aws:s3:::{params['bucket']}", {"s3:prefix": prefix})]
        return [(f"s3:{operation}", _object_arn(params["bucket"], params["key"]), {})]
    if service == "connect":
        instance = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{params['InstanceId']}"
        if operation == "StartChatContact":
            return [("connect:StartChatContact", f"{instance}/contact-flow/{params['ContactFlowId']}", {}),
                    ("connect:StartChatContact", f"{instance}/contact/new-contact", {})]
        return [(f"connect:{operation}", instance, {})]
    if service == "socialmessaging":
        needed = [(f"social-messaging:{operation}", _phone_number_arn(params["originationPhoneNumberId"]), {})]
        if operation == "GetWhatsAppMessageMedia":
            target = params["destinationS3File"]
            needed.append(("s3:PutObject", _object_arn(target["bucketName"], target["key"] + "media"), {}))
        if operation == "PostWhatsAppMessageMedia":
            source = params["sourceS3File"]
            needed.append(("s3:GetObject", _object_arn(source["bucketName"], source["key"]), {}))
        return needed
    if service == "transcribe":
        needed = [(f"transcribe:{operation}", f"arn:aws:transcribe:{REGION}:{ACCOUNT}:transcription-job/x", {})]
        if operation == "StartTranscriptionJob":
            needed.append(("s3:GetObject", _s3_uri_arn(params["Media"]["MediaFileUri"]), {}))
            needed.append(("s3:PutObject", _object_arn(params["OutputBucketName"], params["OutputKey"]), {}))
        return needed
    raise AssertionError(f"no IAM mapping for {service} {operation}: add it here and to the policy")


class Recorder:
    """Attributes every AWS call to the handler whose invocation made it."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.calls: dict[str, list[dict]] = defaultdict(list)

    def run(self, name: str, invoke, *args, expect_error: bool = False):
        import app as app_module

        # Each function runs in containers of its own: nothing cached from another handler.
        app_module._settings.clear()
        app_module._attachment_rules.clear()
        self.bridge.twin.clear_calls()
        try:
            result = invoke(*args)
        except Exception:
            if not expect_error:
                raise
            result = None
        self.calls[name] += self.bridge.twin.calls
        self.bridge.twin.clear_calls()
        return result

    def inbound(self, event, flush_expected=True):
        self.run("on_whatsapp_event", self.bridge.whatsapp, event)
        if flush_expected:
            assert self.run("flush_buffer", self.bridge.flush) == {"batchItemFailures": []}


def voice_event(message_id: str) -> tuple[dict, bytes]:
    event = load_event("eum-audio-voice")
    message = json.loads(json.loads(event["Records"][0]["Sns"]["Message"])["whatsAppWebhookEntry"])[
        "changes"][0]["value"]["messages"][0]
    message = {**message, "id": message_id}
    return with_messages(event, [message]), message["audio"]["id"]


def golden_scenarios(bridge) -> Recorder:
    """Every path that reaches AWS, at least once: each handler through its branches."""
    twin = bridge.twin
    put_settings({**DEFAULT_SETTINGS, "progress_reactions": "yes", "echo_transcript": "yes"})
    recorder = Recorder(bridge)
    fixtures = ROOT / "tests" / "fixtures"
    ogg = (fixtures / "voice-note.ogg").read_bytes()

    text = load_event("eum-text")
    recorder.inbound(text)  # StartChatContact, the transaction, read receipt, reactions
    (first_contact,) = twin.contacts
    start = int(json.loads(json.loads(text["Records"][0]["Sns"]["Message"])["whatsAppWebhookEntry"])[
        "changes"][0]["value"]["messages"][0]["timestamp"])
    recorder.inbound(with_messages(text, [text_from_customer("wamid.pkg-2", start + 5, "Order 4521")]))

    image = load_event("eum-image")
    image_message = json.loads(json.loads(image["Records"][0]["Sns"]["Message"])["whatsAppWebhookEntry"])[
        "changes"][0]["value"]["messages"][0]
    twin.register_media(image_message["image"]["id"], b"\xff\xd8\xff\xe0" + bytes(2000) + b"\xff\xd9",
                        "image/jpeg")
    recorder.inbound(image)  # media to S3, attachment rules, attachment upload

    voice, media_id = voice_event("wamid.pkg-voice-1")
    twin.register_media(media_id, ogg, "audio/ogg")
    recorder.inbound(voice)  # TranscribeAudio
    voice, _ = voice_event("wamid.pkg-voice-2")
    twin.transcripts.fail_next("TranscribeAudio", "BadRequestException", "unsupported audio")
    recorder.inbound(voice)  # falls back to StartTranscriptionJob
    (job,) = [c for c in recorder.calls["flush_buffer"] if c["operation"] == "StartTranscriptionJob"]

    twin.expire_connections(first_contact)  # the transcript renews the connection first
    recorder.run("on_transcription_job", bridge.invoke, "on_transcription_job",
                 twin.transcription_job_event(job["params"]["TranscriptionJobName"]))

    recorder.run("on_connect_event", bridge.connect_event, twin.connect_streaming_event(
        first_contact, participant_role="AGENT", content="Hi, I'm Jordan."))
    recorder.run("on_connect_event", bridge.connect_event, twin.agent_attachment_event(
        first_contact, name="label.pdf", content_type="application/pdf", data=b"%PDF-1.4\n" + bytes(500)))
    twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "InternalServiceException", 500, times=3)
    recorder.run("on_connect_event", bridge.connect_event, twin.connect_streaming_event(
        first_contact, participant_role="AGENT", content="Retried later"), expect_error=True)

    twin.end_chat(first_contact)  # the flush finds the chat gone: closes it, opens a new one
    recorder.inbound(with_messages(text, [text_from_customer("wamid.pkg-3", start + 60, "Still there?")]))
    (second_contact,) = set(twin.contacts) - {first_contact}
    recorder.run("on_connect_event", bridge.connect_event, twin.end_chat(second_contact))
    return recorder


def client_operations_in_code() -> dict[str, set[str]]:
    """Every botocore client method chalicelib calls, as service -> operation names."""
    session = botocore.session.get_session()
    methods: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for service in CLIENT_SERVICES:
        client = session.create_client(service, region_name=REGION, aws_access_key_id="x",
                                       aws_secret_access_key="x")
        for method, operation in client.meta.method_to_api_mapping.items():
            methods[method].add((service, operation))
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / "chalicelib").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in methods:
                (service, operation), *others = sorted(methods[node.func.attr])
                assert not others, f"{path.name}: {node.func.attr} is ambiguous between services"
                found[service].add(operation)
    return found


def test_each_function_may_make_exactly_the_aws_calls_its_code_makes(bridge, aws, merged):
    recorder = golden_scenarios(bridge)
    resolver = deploy.Resolver(resolver_values(aws.buffer_stream_arn))

    # 1. Every client call in the code was exercised by a scenario, so it is checked below.
    observed = defaultdict(set)
    for calls in recorder.calls.values():
        for call in calls:
            observed[call["service"]].add(call["operation"])
    in_code = client_operations_in_code()
    # connectparticipant takes bearer tokens, no IAM: its rarer calls need no scenario here.
    missing = {service: sorted(ops - observed[service]) for service, ops in in_code.items()
               if ops - observed[service] and service != "connectparticipant"}
    assert missing == {}, "calls in chalicelib/ that no scenario here makes: add one"

    for name in FUNCTIONS:
        statements = function_policy(merged, name, resolver)
        needed = []
        for call in recorder.calls[name]:
            assert call["status"] < 500 or call["error"] == "InternalServiceException", call
            needed += required_permissions(call, aws.buffer_stream_arn)
        if name == "flush_buffer":  # Lambda's poller also lists the table's streams
            needed.append(("dynamodb:ListStreams", "*", {}))
        assert needed, f"no scenario reached {name}"

        # 2. Complete: every call is allowed, on the resource it touched.
        used_statements = set()
        for action, resource, context in needed:
            allowing = allowing_statements(statements, action, resource, context)
            assert allowing, f"{name} may not {action} on {resource}"
            used_statements.update(allowing)

        # 3. Exact: no action the code does not call, and no statement nothing needs.
        granted = {a for s in statements for a in _listify(s["Action"])} - PLATFORM_ACTIONS
        # Lambda sends to the on-failure queue with the role (checked in the next test).
        platform = {"sqs:SendMessage"} if failure_destinations(merged, name) else set()
        assert granted - platform == {action for action, _, _ in needed}, name
        for index, statement in enumerate(statements):
            if set(_listify(statement["Action"])) <= PLATFORM_ACTIONS | platform:
                continue
            assert index in used_statements, f"{name}: statement {statement['Sid']} is never needed"


def test_platform_grants_are_scoped_to_the_function_and_the_failure_queue(merged):
    resolver = deploy.Resolver(resolver_values("arn:aws:dynamodb:us-east-1:123456789012:table/b/stream/1"))
    for name in FUNCTIONS:
        statements = function_policy(merged, name, resolver)
        (logs,) = [s for s in statements if s["Sid"] == "Logs"]
        assert logs["Resource"] == (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
                                    f"/aws/lambda/whatsapp-connect-chat-test-{name}:*")
        queue = [s for s in statements if "sqs:SendMessage" in _listify(s["Action"])]
        # Exactly the function's failure destination, nothing else: one queue each.
        (destination,) = failure_destinations(merged, name)
        (send,) = queue
        assert send["Action"] == ["sqs:SendMessage"]
        assert send["Resource"] == resolver(destination)
        expected = "flush-failures" if name == "flush_buffer" else "async-failures"
        assert send["Resource"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{expected}", name


def test_no_wildcard_action_and_no_wildcard_resource_where_iam_can_scope(merged):
    """Checked against cfn-lint's copy of the Service Authorization Reference."""
    import cfnlint

    iam = json.loads((Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json").read_text())
    for name, logical_id in FUNCTIONS.items():
        role = merged["Resources"][f"{logical_id}Role"]["Properties"]
        for policy in role["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                for action in _listify(statement["Action"]):
                    prefix, _, operation = action.partition(":")
                    assert "*" not in action, f"{name}: {action}"
                    if action in UNLISTED_ACTIONS:
                        continue
                    assert operation.lower() in iam[prefix]["Actions"], f"{name}: unknown action {action}"
                    scopable = iam[prefix]["Actions"][operation.lower()].get("Resources")
                    if statement["Resource"] == "*":
                        assert not scopable, f"{name}: {action} on * although IAM scopes it to {scopable}"
                    else:
                        assert "*" not in _listify(statement["Resource"]), name


# --- make deploy, offline --------------------------------------------------------------------------

FAKE_OUTPUTS = {
    "SessionsTableName": "whatsapp-connect-chat-dev-resources-SessionsTable-1A",
    "BufferTableName": "whatsapp-connect-chat-dev-resources-BufferTable-1B",
    "BufferTableStreamArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/b/stream/2025-01-01T00:00:00.000",
    "MediaBucketName": "whatsapp-connect-chat-dev-re-mediabucket-1c",
    "InboundTopicArn": "arn:aws:sns:eu-west-1:111122223333:whatsapp-connect-chat-dev-resources-InboundTopic-1D",
    "StreamingTopicArn": "arn:aws:sns:eu-west-1:111122223333:whatsapp-connect-chat-dev-resources-StreamingTopic-1E",
    "ConfigParameterName": "/whatsapp_eum_connect_chat/dev/config",
    "FlushFailureQueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/q",
    "FlushFailureQueueArn": "arn:aws:sqs:eu-west-1:111122223333:q",
    "AsyncFailureQueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/async",
    "AsyncFailureQueueArn": "arn:aws:sqs:eu-west-1:111122223333:async",
    **{f"{logical_id}RoleArn": f"arn:aws:iam::111122223333:role/{logical_id}Role-X" for logical_id in FUNCTIONS.values()},
}


def test_deploy_writes_the_stack_outputs_into_the_stage():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    rendered = deploy.render_stage_config(config, "dev", FAKE_OUTPUTS)
    stage = rendered["stages"]["dev"]
    assert stage["environment_variables"] == {
        "SESSIONS_TABLE": FAKE_OUTPUTS["SessionsTableName"], "BUFFER_TABLE": FAKE_OUTPUTS["BufferTableName"],
        "MEDIA_BUCKET": FAKE_OUTPUTS["MediaBucketName"], "CONFIG_PARAMETER": FAKE_OUTPUTS["ConfigParameterName"],
        "CONNECT_STREAMING_TOPIC_ARN": FAKE_OUTPUTS["StreamingTopicArn"]}
    for name, logical_id in FUNCTIONS.items():
        assert stage["lambda_functions"][name]["iam_role_arn"] == FAKE_OUTPUTS[f"{logical_id}RoleArn"]
        assert stage["lambda_functions"][name]["lambda_timeout"] == \
            config["stages"]["dev"]["lambda_functions"][name]["lambda_timeout"]
    assert rendered["stages"]["prod"] == config["stages"]["prod"]


def test_deploy_hands_topics_stream_and_buffer_time_to_the_decorators(template):
    environment = deploy.decorator_environment(FAKE_OUTPUTS, {"BufferSeconds": 4}, template)
    probe = ("import json, app; print(json.dumps([(s.__class__.__name__, getattr(s, 'topic', None), "
             "getattr(s, 'stream_arn', None), getattr(s, 'maximum_batching_window_in_seconds', None)) "
             "for s in app.app.event_sources]))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**os.environ, **environment},
                            capture_output=True, text=True, check=True)
    sources = json.loads(result.stdout)
    assert ["SNSEventConfig", FAKE_OUTPUTS["InboundTopicArn"], None, None] in sources
    assert ["SNSEventConfig", FAKE_OUTPUTS["StreamingTopicArn"], None, None] in sources
    assert ["DynamoDBEventConfig", None, FAKE_OUTPUTS["BufferTableStreamArn"], 4] in sources


def _validate_lambda_request(operation: str, params: dict) -> None:
    """A request Lambda's own API model accepts."""
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("lambda")
    report = ParamValidator().validate(params, model.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


def test_deploy_applies_the_merge_templates_stream_settings_to_the_mapping(template, merged):
    resolver = deploy.Resolver({**deploy.values_from_outputs(template, FAKE_OUTPUTS),
                                **deploy.parameter_values(template, "dev", {})})
    settings = deploy.stream_mapping_settings(template, resolver)
    assert settings == {
        "FunctionResponseTypes": ["ReportBatchItemFailures"], "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": merged["Resources"]["FlushBuffer"]["Properties"]["Events"][
            "FlushBufferDynamodbEventSource"]["Properties"]["MaximumRetryAttempts"],
        "MaximumRecordAgeInSeconds": merged["Resources"]["FlushBuffer"]["Properties"]["Events"][
            "FlushBufferDynamodbEventSource"]["Properties"]["MaximumRecordAgeInSeconds"],
        "DestinationConfig": {"OnFailure": {"Destination": FAKE_OUTPUTS["FlushFailureQueueArn"]}}}
    _validate_lambda_request("UpdateEventSourceMapping",
                             {"UUID": "a1b2c3d4-0000-4000-8000-123456789012", **settings})


def test_deploy_configures_the_one_mapping_of_the_stream():
    from botocore.stub import Stubber

    client = botocore.session.get_session().create_client(
        "lambda", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stream = FAKE_OUTPUTS["BufferTableStreamArn"]
    UUID = "a1b2c3d4-0000-4000-8000-123456789012"
    settings = {"FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 10}
    with Stubber(client) as stub:
        stub.add_response("list_event_source_mappings", {"EventSourceMappings": [{"UUID": UUID}]},
                          {"FunctionName": "whatsapp-connect-chat-dev-flush_buffer", "EventSourceArn": stream})
        stub.add_response("get_event_source_mapping", {"UUID": UUID, "State": "Enabled"}, {"UUID": UUID})
        stub.add_response("update_event_source_mapping", {"UUID": UUID}, {"UUID": UUID, **settings})
        assert deploy.configure_stream(client, deploy.function_name("dev", "flush_buffer"), stream,
                                       settings) == UUID
        stub.assert_no_pending_responses()


def test_deploy_creates_the_stack_then_leaves_an_unchanged_one_alone(template):
    from botocore.stub import ANY, Stubber

    client = botocore.session.get_session().create_client(
        "cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    bootstrap = deploy.bootstrap_template(template)
    parameters = deploy.parameter_values(bootstrap, "dev", {}, known=template["Parameters"])
    name = deploy.stack_name("dev")
    messages = []
    with Stubber(client) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", f"Stack with id {name} does not exist")
        stub.add_response("create_change_set", {"Id": "cs"}, {
            "StackName": name, "ChangeSetName": ANY, "ChangeSetType": "CREATE", "TemplateBody": ANY,
            "Parameters": ANY, "Capabilities": ["CAPABILITY_IAM"], "Tags": ANY})
        stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"})
        stub.add_response("execute_change_set", {})
        stub.add_response("describe_stacks", {"Stacks": [{"StackName": name, "StackStatus": "CREATE_COMPLETE",
                                                          "CreationTime": "2025-01-01T00:00:00Z"}]})
        deploy.deploy_stack(client, name, bootstrap, parameters, log=messages.append)
        # The second run: the change set has nothing to change.
        stub.add_response("describe_stacks", {"Stacks": [{"StackName": name, "StackStatus": "CREATE_COMPLETE",
                                                          "CreationTime": "2025-01-01T00:00:00Z"}]})
        stub.add_response("create_change_set", {"Id": "cs2"}, {
            "StackName": name, "ChangeSetName": ANY, "ChangeSetType": "UPDATE", "TemplateBody": ANY,
            "Parameters": ANY, "Capabilities": ["CAPABILITY_IAM"], "Tags": ANY})
        no_changes = {"Status": "FAILED", "ExecutionStatus": "UNAVAILABLE",
                      "StatusReason": "The submitted information didn't contain changes."}
        stub.add_response("describe_change_set", no_changes)
        stub.add_response("describe_change_set", no_changes)
        stub.add_response("delete_change_set", {})
        deploy.deploy_stack(client, name, bootstrap, parameters, log=messages.append)
        stub.assert_no_pending_responses()
    assert messages == [f"stack {name}: create in progress", f"stack {name}: create complete",
                        f"stack {name}: no changes"]
    assert {p: parameters[p] for p in ("Stage", "ConfigParameterName")} == {
        "Stage": "dev", "ConfigParameterName": copy.deepcopy(template["Parameters"]["ConfigParameterName"]["Default"])}


def test_deploy_applies_the_merge_templates_async_invocation_settings(template, merged):
    resolver = deploy.Resolver({**deploy.values_from_outputs(template, FAKE_OUTPUTS),
                                **deploy.parameter_values(template, "dev", {})})
    settings = deploy.event_invoke_settings(template, resolver)
    assert list(settings) == list(ASYNC_FUNCTIONS)
    for name, request in settings.items():
        packaged = function(merged, name)["EventInvokeConfig"]
        assert request == {
            # What SAM gives an EventInvokeConfig on a function without an alias.
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": packaged["MaximumRetryAttempts"],
            "MaximumEventAgeInSeconds": packaged["MaximumEventAgeInSeconds"],
            "DestinationConfig": {"OnFailure": {"Destination": FAKE_OUTPUTS["AsyncFailureQueueArn"]}}}, name
        assert (request["MaximumRetryAttempts"], request["MaximumEventAgeInSeconds"]) == (2, 21600)
        _validate_lambda_request("PutFunctionEventInvokeConfig",
                                 {"FunctionName": deploy.function_name("dev", name), **request})


def test_deploy_sets_the_stream_and_the_async_invocations_of_every_function(template):
    """Step 4 of `make deploy` against a stubbed Lambda: every call, with its exact arguments."""
    from botocore.stub import Stubber

    client = botocore.session.get_session().create_client(
        "lambda", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stream = FAKE_OUTPUTS["BufferTableStreamArn"]
    UUID = "a1b2c3d4-0000-4000-8000-123456789012"
    stream_settings = template["Resources"]["FlushBuffer"]["Properties"]["Events"][
        "FlushBufferDynamodbEventSource"]["Properties"]
    messages = []
    with Stubber(client) as stub:
        stub.add_response("list_event_source_mappings", {"EventSourceMappings": [{"UUID": UUID}]},
                          {"FunctionName": "whatsapp-connect-chat-dev-flush_buffer", "EventSourceArn": stream})
        stub.add_response("get_event_source_mapping", {"UUID": UUID, "State": "Enabled"}, {"UUID": UUID})
        stub.add_response("update_event_source_mapping", {"UUID": UUID}, {
            "UUID": UUID, "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": stream_settings["MaximumRetryAttempts"],
            "MaximumRecordAgeInSeconds": stream_settings["MaximumRecordAgeInSeconds"],
            "DestinationConfig": {"OnFailure": {"Destination": FAKE_OUTPUTS["FlushFailureQueueArn"]}}})
        for name in ASYNC_FUNCTIONS:
            function_arn = f"arn:aws:lambda:eu-west-1:111122223333:function:whatsapp-connect-chat-dev-{name}"
            stub.add_response("put_function_event_invoke_config", {"FunctionArn": function_arn}, {
                "FunctionName": f"whatsapp-connect-chat-dev-{name}", "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600,
                "DestinationConfig": {"OnFailure": {"Destination": FAKE_OUTPUTS["AsyncFailureQueueArn"]}}})
        deploy.configure_functions(client, "dev", template, FAKE_OUTPUTS, {}, log=messages.append)
        stub.assert_no_pending_responses()
    assert messages[0].startswith(f"stream mapping {UUID}: ")
    assert [m.split(":", 1)[0] for m in messages[1:]] == [
        f"asynchronous invocations of {name}" for name in ASYNC_FUNCTIONS]
    summary = deploy.next_steps("dev", FAKE_OUTPUTS)
    assert FAKE_OUTPUTS["FlushFailureQueueUrl"] in summary and FAKE_OUTPUTS["AsyncFailureQueueUrl"] in summary


def test_deploy_waits_while_chalice_still_updates_the_function():
    from botocore.stub import Stubber

    client = botocore.session.get_session().create_client(
        "lambda", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    name = deploy.function_name("dev", "on_connect_event")
    settings = {"Qualifier": "$LATEST", "MaximumRetryAttempts": 2}
    slept = []
    with Stubber(client) as stub:
        stub.add_client_error("put_function_event_invoke_config", "ResourceConflictException",
                              "The operation cannot be performed at this time. An update is in progress",
                              409, expected_params={"FunctionName": name, **settings})
        stub.add_response("put_function_event_invoke_config", {}, {"FunctionName": name, **settings})
        deploy.configure_async_invocation(client, name, settings, sleep=slept.append)
        stub.assert_no_pending_responses()
    assert slept == [2]
    with Stubber(client) as stub:  # a conflict that does not end is not hidden
        for _ in range(3):
            stub.add_client_error("put_function_event_invoke_config", "ResourceConflictException", http_status_code=409)
        with pytest.raises(client.exceptions.ResourceConflictException):
            deploy.configure_async_invocation(client, name, settings, attempts=3, sleep=slept.append)
