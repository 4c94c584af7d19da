"""The packaged CloudFormation template (`chalice package`, with and without infra/resources.json
merged), .chalice/config.json, infra/resources.json and cfn-lint on all of them."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CONFIG_PARAMETER
from tests.packaging_support import (  # noqa: F401  (fixtures)
    ASYNC_FUNCTIONS, BIN, DIRECT_FUNCTIONS, ENVIRONMENT, FUNCTIONS, ROOT, RUNTIME, deploy, failure_destinations, function,
    merged, packages, STAGE_ENVIRONMENT, template,
)


# --- the packaged template ------------------------------------------------------------------------

def test_five_functions_with_the_fixed_names(merged):
    functions = {k: v for k, v in merged["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == set(FUNCTIONS.values())
    for name, logical_id in FUNCTIONS.items():
        properties = functions[logical_id]["Properties"]
        assert properties["Handler"] == f"app.{name}"
        assert properties["Runtime"] == RUNTIME
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
    # Every function Lambda retries has somewhere to put what it gives up on; one invoked directly
    # (synchronously) answers its caller, and Lambda retries nothing of it.
    for name in FUNCTIONS:
        assert len(failure_destinations(merged, name)) == (0 if name in DIRECT_FUNCTIONS else 1), name
    for name in DIRECT_FUNCTIONS:
        assert "Events" not in function(merged, name) and "EventInvokeConfig" not in function(merged, name)
    queue = merged["Resources"]["AsyncFailureQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    # Its retention follows the stage's media retention (tests/test_operations.py).
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert "FifoQueue" not in queue["Properties"]  # Lambda's destinations take standard queues only


def test_every_function_gets_the_five_environment_variables_from_the_stack(merged):
    for name in FUNCTIONS:
        variables = function(merged, name)["Environment"]["Variables"]
        assert variables == {**{key: {"Ref": logical_id} for key, logical_id in ENVIRONMENT.items()},
                             **STAGE_ENVIRONMENT}


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
        assert set(properties["Environment"]["Variables"]) == set(ENVIRONMENT) | set(STAGE_ENVIRONMENT)


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
        assert set(settings["environment_variables"]) == set(ENVIRONMENT) | set(STAGE_ENVIRONMENT)
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
    # Sessions are found by contact id, conversations by their own key; the one index lists the
    # conversations waiting for Connect, oldest first, and holds only them (sparse).
    assert sessions["GlobalSecondaryIndexes"] == [{
        "IndexName": "WaitingIndex",
        "KeySchema": [{"AttributeName": "waitingRoom", "KeyType": "HASH"},
                      {"AttributeName": "waitingSince", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["nextAttemptAt", "waitReason"]}}]
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
        # Also the publishing WABA or Connect instance (aws:SourceArn: tests/test_operations.py).
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}

    parameter = resources["ConfigParameter"]["Properties"]
    assert parameter["Name"] == {"Ref": "ConfigParameterName"}
    assert template["Parameters"]["ConfigParameterName"]["Default"] == CONFIG_PARAMETER
    # Without the inbound flow (CreateInboundFlow false, the default) the settings are seeded with
    # placeholders; with it, tests/test_connect_flow.py.
    condition, _, seed = parameter["Value"]["Fn::If"]
    assert condition == "CreatesInboundFlow"
    assert template["Parameters"]["CreateInboundFlow"]["Default"] == "false"
    assert json.loads(seed) == {"instance_id": "INSTANCE_ID", "contact_flow_id": "CONTACT_FLOW_ID",
                                "chat_duration_minutes": 60, "ignore_reactions": "yes",
                                "ignore_stickers": "yes"}


def test_seeded_settings_are_rejected_until_filled_in(template):
    from chalicelib.config import SettingsError, parse_settings

    _, _, seed = template["Resources"]["ConfigParameter"]["Properties"]["Value"]["Fn::If"]
    with pytest.raises(SettingsError, match="placeholder"):
        parse_settings(seed)


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
    # cfn-lint's IAM data predates TranscribeAudio (see tests/test_iam_policies.py); nothing else
    # is allowed.
    assert others <= {("W3037", "'transcribeaudio'")}, findings


def test_lint_merged_template(packages):
    assert_lints_clean(packages["dir"] / "merged" / "sam.json")


def test_lint_bare_template(packages):
    assert_lints_clean(packages["dir"] / "bare" / "sam.json")


def test_lint_resources_stack_of_make_deploy(template, tmp_path):
    path = tmp_path / "bootstrap.json"
    path.write_text(json.dumps(deploy.bootstrap_template(template)))
    assert_lints_clean(path)


# --- infra/deployer-policy.json: what the person deploying needs ---------------------------------------

DEPLOYER_POLICY = ROOT / "infra" / "deployer-policy.json"
ACCOUNT, REGION_ = "111122223333", "eu-west-2"
STACK = "whatsapp-connect-chat-dev-resources"  # path A; path B's stack is whatsapp-connect-chat-<stage>
FUNCTION_ARN = f"arn:aws:lambda:{REGION_}:{ACCOUNT}:function:whatsapp-connect-chat-dev-flush_buffer"
# What the deployer's calls (through CloudFormation, Chalice and make deploy) touch, named as
# CloudFormation names a stack's resources (<stack>-<logical id>-<suffix>) or as the template does.
SAMPLES = {
    "AWS::DynamoDB::Table": (f"arn:aws:dynamodb:{REGION_}:{ACCOUNT}:table/{STACK}-SessionsTable-1A2B3C", {}),
    "AWS::S3::Bucket": (f"arn:aws:s3:::{STACK}-mediabucket-1a2b3c", {}),
    "AWS::S3::BucketPolicy": (f"arn:aws:s3:::{STACK}-mediabucket-1a2b3c", {}),
    "AWS::KMS::Key": (f"arn:aws:kms:{REGION_}:{ACCOUNT}:key/0f9d7b2c-5e3a-4c1d-8b6f-2a7e9c4d1b30",
                      {"aws:ResourceTag/aws:cloudformation:stack-name": STACK}),
    "AWS::SNS::Topic": (f"arn:aws:sns:{REGION_}:{ACCOUNT}:{STACK}-InboundTopic-1A2B3C", {}),
    "AWS::SNS::TopicPolicy": (f"arn:aws:sns:{REGION_}:{ACCOUNT}:{STACK}-InboundTopic-1A2B3C", {}),
    "AWS::SNS::Subscription": (f"arn:aws:sns:{REGION_}:{ACCOUNT}:{STACK}-InboundTopic-1A2B3C:4d5e", {}),
    "AWS::SSM::Parameter": (f"arn:aws:ssm:{REGION_}:{ACCOUNT}:parameter{CONFIG_PARAMETER}", {}),
    "AWS::SQS::Queue": (f"arn:aws:sqs:{REGION_}:{ACCOUNT}:{STACK}-AsyncFailureQueue-1A2B3C", {}),
    "AWS::CloudWatch::Alarm": (f"arn:aws:cloudwatch:{REGION_}:{ACCOUNT}:alarm:{STACK}-FlushErrorsAlarm-1A2B3C", {}),
    "AWS::CloudWatch::Dashboard": (f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/whatsapp-connect-chat-dev", {}),
    "AWS::IAM::Role": (f"arn:aws:iam::{ACCOUNT}:role/whatsapp-connect-chat-dev-re-FlushBufferRole-1A2B3C", {}),
    "AWS::Connect::ContactFlow": (f"arn:aws:connect:{REGION_}:{ACCOUNT}:instance/6688872b-b779-4713-a25c-"
                                  f"8a6c220d6483/contact-flow/3c1e8f5a-9b2d-4e7c-a6f0-1d8b5c2e7a94", {}),
    "AWS::Lambda::Function": (FUNCTION_ARN, {}),
    "AWS::Lambda::Permission": (FUNCTION_ARN, {}),
    "AWS::Lambda::EventInvokeConfig": (FUNCTION_ARN, {}),
    "AWS::Lambda::EventSourceMapping": (f"arn:aws:lambda:{REGION_}:{ACCOUNT}:event-source-mapping:"
                                        f"6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", {"lambda:FunctionArn": FUNCTION_ARN}),
    "AWS::Events::Rule": (f"arn:aws:events:{REGION_}:{ACCOUNT}:rule/whatsapp-connect-chat-dev-retry_waiting", {}),
    "AWS::Logs::LogGroup": (f"arn:aws:logs:{REGION_}:{ACCOUNT}:log-group:/aws/lambda/whatsapp-connect-chat-dev-"
                            f"flush_buffer", {}),
}
# What SAM makes of the packaged functions (AWS::Serverless::Function), and `chalice deploy` of them.
SERVERLESS_FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping",
                             "AWS::Lambda::EventInvokeConfig", "AWS::SNS::Subscription", "AWS::Events::Rule")
# Actions CloudFormation's resource handlers list (their schemas, as cfn-lint ships them) for
# properties the template never sets: granting them would be more than the deploy needs.
UNUSED_FEATURES = {
    # Global tables, imports, item writes of imports and replicas, Kinesis streaming, contributor
    # insights, resource policies.
    "AWS::DynamoDB::Table": {
        "dynamodb:AssociateTableReplica", "dynamodb:CreateTableReplica", "dynamodb:ImportTable",
        "dynamodb:DescribeImport", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
        "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
        "dynamodb:EnableKinesisStreamingDestination", "dynamodb:DisableKinesisStreamingDestination",
        "dynamodb:UpdateKinesisStreamingDestination", "dynamodb:UpdateContributorInsights",
        "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"},
    # Only encryption, lifecycle, public access block and ownership are set (ACLs off); none of
    # these configurations is set, nor removed.
    "AWS::S3::Bucket": {
        "s3:PutBucketAbac", "s3:PutAnalyticsConfiguration", "s3:PutBucketCORS", "s3:PutInventoryConfiguration",
        "s3:PutMetricsConfiguration", "s3:PutBucketNotification", "s3:PutBucketReplication",
        "s3:PutReplicationConfiguration", "s3:PutBucketWebsite", "s3:PutAccelerateConfiguration",
        "s3:PutObjectAcl", "s3:PutBucketAcl", "s3:PutBucketObjectLockConfiguration", "s3:PutObjectLockConfiguration",
        "s3:PutBucketLogging", "s3:PutBucketVersioning", "s3:PutIntelligentTieringConfiguration",
        "s3:CreateBucketMetadataTableConfiguration", "s3:DeleteBucketMetadataTableConfiguration",
        "s3:UpdateBucketMetadataJournalTableConfiguration", "s3:UpdateBucketMetadataInventoryTableConfiguration",
        "s3:UpdateBucketMetadataAnnotationTableConfiguration", "s3:DeleteBucketWebsite",
        "s3:DeleteBucketAnalyticsConfiguration", "s3:DeleteBucketCors", "s3:DeleteBucketMetricsConfiguration",
        "s3:DeleteBucketEncryption", "s3:DeleteBucketLifecycle", "s3:DeleteBucketReplication",
        "s3:DeleteObject"},  # emptying the bucket before removal: its own statement, on the objects
    "AWS::KMS::Key": {"kms:DisableKeyRotation"},  # rotation stays on
    "AWS::SNS::Topic": {"sns:PutDataProtectionPolicy"},
    # Inline policies only: no managed policies, no permissions boundary.
    "AWS::IAM::Role": {"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
                       "iam:DeleteRolePermissionsBoundary"},
    # No code signing, layers, capacity providers, runtime management, recursion or scaling
    # settings, versions or aliases.
    "AWS::Lambda::Function": {
        "lambda:GetCodeSigningConfig", "lambda:PutFunctionCodeSigningConfig", "lambda:DeleteFunctionCodeSigningConfig",
        "lambda:GetLayerVersion", "lambda:PassCapacityProvider", "lambda:PutRuntimeManagementConfig",
        "lambda:PutFunctionRecursionConfig", "lambda:PutFunctionScalingConfig", "lambda:PublishVersion",
        "lambda:AssociateRuntimeAlias"},
    "AWS::Lambda::EventSourceMapping": {"lambda:TagResource", "lambda:UntagResource"},  # untagged
    # No KMS key, data protection, index or resource policies, deliveries, tokens, deletion protection.
    "AWS::Logs::LogGroup": {
        "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:PutDataProtectionPolicy",
        "logs:DeleteDataProtectionPolicy", "logs:PutIndexPolicy", "logs:DeleteIndexPolicy",
        "logs:PutResourcePolicy", "logs:DeleteResourcePolicy", "logs:CreateLogDelivery",
        "logs:PutBearerTokenAuthentication", "logs:PutLogGroupDeletionProtection"},
}
# Calls no resource handler makes: the deploy script's, Chalice's and the package path's.
DEPLOY_CALLS = [
    *((f"cloudformation:{operation}", f"arn:aws:cloudformation:{REGION_}:{ACCOUNT}:stack/{STACK}/1a2b", {})
      for operation in ("DescribeStacks", "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet",
                        "DeleteChangeSet", "DeleteStack")),
    ("cloudformation:CreateChangeSet", f"arn:aws:cloudformation:{REGION_}:aws:transform/Serverless-2016-10-31", {}),
    ("iam:PassRole", SAMPLES["AWS::IAM::Role"][0], {"iam:PassedToService": "lambda.amazonaws.com"}),
    ("lambda:ListEventSourceMappings", "*", {}),
    ("lambda:UpdateEventSourceMapping", SAMPLES["AWS::Lambda::EventSourceMapping"][0], {"lambda:FunctionArn": FUNCTION_ARN}),
    ("lambda:PutFunctionEventInvokeConfig", FUNCTION_ARN, {}),
    ("lambda:PutFunctionConcurrency", FUNCTION_ARN, {}),
    ("logs:FilterLogEvents", SAMPLES["AWS::Logs::LogGroup"][0], {}),  # chalice logs
    ("s3:PutObject", "arn:aws:s3:::whatsapp-connect-chat-artifacts-111122223333/1a2b3c.zip", {}),
    ("s3:GetObject", "arn:aws:s3:::whatsapp-connect-chat-artifacts-111122223333/1a2b3c.zip", {}),
    ("s3:DeleteObject", f"arn:aws:s3:::{STACK}-mediabucket-1a2b3c/inbound/1.jpg", {}),
    ("ssm:PutParameter", SAMPLES["AWS::SSM::Parameter"][0], {}),  # filling in the settings
]
# Actions on `*`: those IAM cannot scope to a resource (KMS key creation, Lambda's mapping list
# and reads, CloudWatch Logs' account-level reads), or scoped by a condition instead.
UNSCOPED = {"kms:CreateKey", "kms:TagResource", "lambda:ListEventSourceMappings", "lambda:GetEventSourceMapping",
            "lambda:ListTags", "logs:DescribeLogGroups", "logs:DescribeIndexPolicies",
            "logs:DescribeResourcePolicies"}


def handler_actions(resource_type):
    """The IAM actions of the type's own service its CloudFormation handlers call."""
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    schema = json.loads((schemas / "resources" / f"{providers[resource_type]}.json").read_text())
    service = resource_type.split("::")[1].lower()
    return {action for handler in ("create", "read", "update", "delete")
            for action in schema["handlers"].get(handler, {}).get("permissions", [])
            if action.split(":")[0] == service}


@pytest.fixture(scope="module")
def deployer_policy():
    return json.loads(DEPLOYER_POLICY.read_text())


def allowed(policy, action, resource, context):
    from emulator.iam import allowing_statements

    unscoped = "*" if action in UNSCOPED else resource
    return bool(allowing_statements(policy["Statement"], action, resource, context)
                or allowing_statements(policy["Statement"], action, unscoped, context))


def test_the_deployer_policy_is_a_policy_document(deployer_policy, tmp_path):
    assert deployer_policy["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in deployer_policy["Statement"]]
    assert len(sids) == len(set(sids))
    for statement in deployer_policy["Statement"]:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, statement["Sid"]
        assert statement["Effect"] == "Allow" and statement["Resource"]
        for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
            service, _, name = action.partition(":")
            assert re.fullmatch(r"[a-z0-9-]+", service) and re.fullmatch(r"[A-Za-z0-9]+", name), action
    # cfn-lint checks the actions against IAM's own list when the policy sits in a template.
    document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Deployer": {
        "Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": deployer_policy}}}}
    path = tmp_path / "deployer-policy-template.json"
    path.write_text(json.dumps(document))
    assert cfn_lint(path) == []


def test_the_deployer_policy_covers_every_resource_type_of_both_paths(deployer_policy, template, merged):
    types = {body["Type"] for body in template["Resources"].values() if "Type" in body}
    types |= {body["Type"] for body in merged["Resources"].values()} - {"AWS::Serverless::Function"}
    types |= set(SERVERLESS_FUNCTION_TYPES)
    assert types <= set(SAMPLES), f"name what the deployer touches for {types - set(SAMPLES)}"
    for resource_type in sorted(types):
        resource, context = SAMPLES[resource_type]
        needed = handler_actions(resource_type) - UNUSED_FEATURES.get(resource_type, set())
        refused = sorted(action for action in needed if not allowed(deployer_policy, action, resource, context))
        assert refused == [], resource_type
    for action, resource, context in DEPLOY_CALLS:
        assert allowed(deployer_policy, action, resource, context), (action, resource)


@pytest.mark.parametrize("action, resource, context", [
    ("iam:PassRole", SAMPLES["AWS::IAM::Role"][0], {"iam:PassedToService": "ec2.amazonaws.com"}),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", {"iam:PassedToService": "lambda.amazonaws.com"}),
    ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/Admin", {}),
    ("iam:AttachRolePolicy", SAMPLES["AWS::IAM::Role"][0], {}),
    ("s3:GetObject", f"arn:aws:s3:::{STACK}-mediabucket-1a2b3c/inbound/1.jpg", {}),  # customer media
    ("dynamodb:GetItem", SAMPLES["AWS::DynamoDB::Table"][0], {}),
    ("sqs:ReceiveMessage", SAMPLES["AWS::SQS::Queue"][0], {}),
    ("kms:ScheduleKeyDeletion", SAMPLES["AWS::KMS::Key"][0], {"aws:ResourceTag/aws:cloudformation:stack-name": "other"}),
    ("lambda:UpdateFunctionCode", f"arn:aws:lambda:{REGION_}:{ACCOUNT}:function:payments", {}),
    ("lambda:UpdateEventSourceMapping", SAMPLES["AWS::Lambda::EventSourceMapping"][0],
     {"lambda:FunctionArn": f"arn:aws:lambda:{REGION_}:{ACCOUNT}:function:payments"}),
    ("cloudformation:DeleteStack", f"arn:aws:cloudformation:{REGION_}:{ACCOUNT}:stack/payments/1a2b", {}),
])
def test_the_deployer_policy_reaches_nothing_else(deployer_policy, action, resource, context):
    from emulator.iam import allowing_statements

    assert allowing_statements(deployer_policy["Statement"], action, resource, context) == []


def test_the_deployer_policy_names_its_resources(deployer_policy):
    for statement in deployer_policy["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert not any(action.endswith("*") for action in actions), statement["Sid"]
        if statement["Resource"] == "*" and "Condition" not in statement and not statement["Sid"].startswith("Doctor"):
            assert set(actions) <= UNSCOPED, statement["Sid"]
