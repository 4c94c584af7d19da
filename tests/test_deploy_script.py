"""The pieces of `make deploy` (scripts/deploy_bridge.py) that need no AWS account: the config it
writes, the decorator values, the stack change sets and every Lambda call of its last step, against
stubbed clients and Lambda's API model."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import botocore.session
import pytest

from tests.conftest import REGION
from tests.packaging_support import (  # noqa: F401  (fixtures)
    ASYNC_FUNCTIONS, FUNCTIONS, ROOT, deploy, function, load_script, merged, packages, template,
)


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
        "CONNECT_STREAMING_TOPIC_ARN": FAKE_OUTPUTS["StreamingTopicArn"], "LOG_LEVEL": "INFO"}
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
        # One batch per shard at a time: Lambda keeps order per item beyond one (docs/scaling.md),
        # and a conversation's messages are items of their own.
        "ParallelizationFactor": 1,
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
            "UUID": UUID, "ParallelizationFactor": 1, "FunctionResponseTypes": ["ReportBatchItemFailures"],
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


def test_make_deploy_and_package_refuse_an_untested_python_in_one_line():
    supported = load_script("supported_python")
    for version in ((3, 10), (3, 14)):
        reason = supported.refusal(version)
        assert f"Python {version[0]}.{version[1]} is not one the bridge is tested on" in reason
        assert "\n" not in reason
    assert [supported.refusal(version) for version in ((3, 11), (3, 12), (3, 13))] == [None] * 3
    # The Python running the tests is the one whose package tests/test_package_contents.py runs.
    subprocess.run([sys.executable, "scripts/supported_python.py"], cwd=ROOT, check=True)
    for script in ("deploy.sh", "package.sh"):
        assert "scripts/supported_python.py" in (ROOT / "scripts" / script).read_text(), script


# --- what the shell must give: a Region and credentials -----------------------------------------------

def shell_without_aws(tmp_path, **variables):
    """An environment with no AWS configuration at all (no files, no instance metadata), plus
    `variables`."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "no-config"),
                       AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
                       AWS_EC2_METADATA_DISABLED="true", PYTHON=sys.executable, **variables)
    return environment


def make_deploy(environment, *arguments):
    return subprocess.run(["scripts/deploy.sh", "dev", *arguments], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("variables, expected", [
    ({}, deploy.REGION_MISSING),
    ({"AWS_REGION": "eu-west-2"}, deploy.CREDENTIALS_MISSING.format(region="eu-west-2")),
    ({"AWS_DEFAULT_REGION": "eu-west-2"}, deploy.CREDENTIALS_MISSING.format(region="eu-west-2")),
    ({"AWS_PROFILE": "nobody"}, "the AWS credentials could not be loaded: The config profile (nobody) "
                                "could not be found (docs/deploy.md, Prerequisites)"),
])
def test_make_deploy_says_in_one_line_what_the_shell_lacks(tmp_path, variables, expected):
    result = make_deploy(shell_without_aws(tmp_path, **variables))

    assert (result.returncode, result.stdout, result.stderr) == (2, "", expected + "\n")
    assert "make deploy" in deploy.REGION_MISSING and "AWS_PROFILE" in deploy.CREDENTIALS_MISSING


def test_aws_region_alone_picks_the_region_boto3_would_not(tmp_path, monkeypatch):
    for name, value in shell_without_aws(tmp_path, AWS_REGION="eu-west-2", AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
                                         AWS_SECRET_ACCESS_KEY="secret").items():
        monkeypatch.setenv(name, value)
    import boto3

    assert boto3.session.Session().region_name is None
    assert deploy.aws_session().region_name == "eu-west-2"


def test_the_dry_run_shows_the_whole_deploy_without_a_region_or_credentials(tmp_path, template):
    result = subprocess.run([sys.executable, "scripts/deploy_bridge.py", "--stage", "dev", "--dry-run"],
                            cwd=ROOT, env=shell_without_aws(tmp_path), capture_output=True, text=True,
                            timeout=60, check=True)
    plan = json.loads(result.stdout)

    assert plan["region"] == deploy.REGION_MISSING
    assert plan["stack"] == "whatsapp-connect-chat-dev-resources"
    bootstrap = deploy.bootstrap_template(template)
    assert plan["parameters"] == deploy.parameter_values(bootstrap, "dev", deploy.stage_settings("dev"),
                                                         known=template["Parameters"])
    assert plan["resources"] == list(bootstrap["Resources"])
    assert plan["commands"][-1][-4:] == [str(deploy.Path(sys.executable).with_name("chalice")), "deploy",
                                         "--stage", "dev"]
    assert plan["chalice_environment"] == {"INBOUND_TOPIC": "<InboundTopicArn>",
                                           "STREAMING_TOPIC": "<StreamingTopicArn>",
                                           "BUFFER_TABLE_STREAM_ARN": "<BufferTableStreamArn>",
                                           "BUFFER_SECONDS": "2"}
    assert plan["chalice_config"]["environment_variables"]["SESSIONS_TABLE"] == "<SessionsTableName>"
    assert plan["stream_mapping"]["DestinationConfig"] == {"OnFailure": {"Destination": "<FlushFailureQueueArn>"}}
    assert set(plan["async_invocations"]) == set(ASYNC_FUNCTIONS)

    with_region = subprocess.run([sys.executable, "scripts/deploy_bridge.py", "--dry-run"], cwd=ROOT,
                                 env=shell_without_aws(tmp_path, AWS_REGION="eu-west-2"),
                                 capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(with_region.stdout)["region"] == "eu-west-2"
