"""Operations in infra/resources.json: the alarms, who may publish to the topics and use their key,
and how long the failure queues keep what they hold. Read from the template itself, resolved the
way CloudFormation would for each stage."""
from __future__ import annotations

import fnmatch
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"
REGION = "eu-west-2"
INSTANCE = "6688872b-b779-4713-a25c-8a6c220d6483"
OTHER_INSTANCE = "00000000-b779-4713-a25c-8a6c220d6483"
WABA = "fb2594b8a7974770b128a409e2abcdef"
ALARM_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:on-call"


def _load_deploy_module():
    spec = importlib.util.spec_from_file_location("deploy_bridge", ROOT / "scripts" / "deploy_bridge.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = _load_deploy_module()


@pytest.fixture(scope="module")
def template():
    return deploy.load_template()


def stage(name: str) -> dict:
    return json.loads((ROOT / "infra" / "stages" / f"{name}.json").read_text())


def resolver(template: dict, **parameters):
    """Resolves Ref, Fn::Sub, Fn::GetAtt, Fn::FindInMap and Fn::If (with the template's conditions)
    for the given parameter values; anything not given takes the template's default."""
    values = {name: str(body.get("Default", "")) for name, body in template["Parameters"].items()}
    values.update({name: str(value) for name, value in parameters.items()})
    base = deploy.Resolver({
        **values, "AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
        "FlushFailureQueue.QueueName": "flush-failures", "AsyncFailureQueue.QueueName": "async-failures",
        "InboundTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:inbound",
        "StreamingTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:streaming",
        "TopicKey.Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    })

    def condition(name: str) -> bool:
        (function, args), = template["Conditions"][name].items()
        assert function == "Fn::Not"
        (inner,) = args
        left, right = inner["Fn::Equals"]
        return not resolve(left) == resolve(right)

    def resolve(node):
        if isinstance(node, dict) and len(node) == 1:
            (key, value), = node.items()
            if key == "Fn::If":
                name, when_true, when_false = value
                return resolve(when_true if condition(name) else when_false)
            if key == "Fn::FindInMap":
                mapping, first, second = (resolve(part) for part in value)
                return template["Mappings"][mapping][str(first)][second]
            if key == "Ref" and value == "AWS::NoValue":
                return None
            if key in ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join"):
                return base(node)
        if isinstance(node, dict):
            return {key: resolved for key, resolved in ((k, resolve(v)) for k, v in node.items())
                    if resolved is not None}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve


def arn_like(value: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern)
               for pattern in (patterns if isinstance(patterns, list) else [patterns]))


# --- alarms ---------------------------------------------------------------------------------------------

ALARMS = {
    # logical id: (namespace, metric, dimension, statistic, threshold)
    "FlushFailureQueueAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "Maximum", 0),
    "AsyncFailureQueueAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "Maximum", 0),
    "FlushErrorsAlarm": ("AWS/Lambda", "Errors", "FunctionName", "Sum", 0),
    "StreamIteratorAgeAlarm": ("AWS/Lambda", "IteratorAge", "FunctionName", "Maximum", 5 * 60 * 1000),
}


def test_four_alarms_watch_the_failure_queues_and_the_flush(template):
    resources = template["Resources"]
    alarms = {name for name, body in resources.items() if body.get("Type") == "AWS::CloudWatch::Alarm"}
    assert alarms == set(ALARMS)
    for name, (namespace, metric, dimension, statistic, threshold) in ALARMS.items():
        properties = resources[name]["Properties"]
        assert (properties["Namespace"], properties["MetricName"], properties["Statistic"],
                properties["Threshold"], properties["ComparisonOperator"]) == (
            namespace, metric, statistic, threshold, "GreaterThanThreshold"), name
        assert [d["Name"] for d in properties["Dimensions"]] == [dimension], name
        assert properties["Period"] * properties["EvaluationPeriods"] <= 300, name  # within 5 minutes
        # A queue or function with nothing to report sends no data: that is not an alarm.
        assert properties["TreatMissingData"] == "notBreaching", name
        assert "README" in properties["AlarmDescription"]["Fn::Sub"], name


def test_queue_alarms_watch_the_queues_the_functions_fail_into(template):
    resources = template["Resources"]
    stream = resources["FlushBuffer"]["Properties"]["Events"]["FlushBufferDynamodbEventSource"]["Properties"]
    flush_queue = stream["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    async_queues = {resources[function]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"][
        "Destination"]["Fn::GetAtt"][0] for function in ("OnWhatsappEvent", "OnConnectEvent", "OnTranscriptionJob")}
    watched = {name: resources[name]["Properties"]["Dimensions"][0]["Value"]
               for name in ("FlushFailureQueueAlarm", "AsyncFailureQueueAlarm")}
    assert watched["FlushFailureQueueAlarm"] == {"Fn::GetAtt": [flush_queue, "QueueName"]}
    assert async_queues == {"AsyncFailureQueue"}
    assert watched["AsyncFailureQueueAlarm"] == {"Fn::GetAtt": ["AsyncFailureQueue", "QueueName"]}


@pytest.mark.parametrize("stage_name", ["dev", "prod"])
def test_flush_alarms_name_the_function_both_deploy_paths_create(template, stage_name):
    resolve = resolver(template, Stage=stage_name)
    # Path A: `chalice deploy` names it; path B: the merge template's FunctionName says the same.
    expected = deploy.function_name(stage_name, "flush_buffer")
    assert resolve(template["Resources"]["FlushBuffer"]["Properties"]["FunctionName"]) == expected
    for name in ("FlushErrorsAlarm", "StreamIteratorAgeAlarm"):
        assert resolve(template["Resources"][name]["Properties"]["Dimensions"]) == [
            {"Name": "FunctionName", "Value": expected}]


def test_alarms_notify_the_topic_only_when_one_is_given(template):
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    for name in ALARMS:
        properties = template["Resources"][name]["Properties"]
        without = resolver(template, AlarmTopicArn="")(properties)
        assert "AlarmActions" not in without and "OKActions" not in without, name
        given = resolver(template, AlarmTopicArn=ALARM_TOPIC)(properties)
        assert given["AlarmActions"] == given["OKActions"] == [ALARM_TOPIC], name


# --- who may publish, and use the key --------------------------------------------------------------------

PUBLISHERS = {
    # topic: (service principal, the source it must come from, a source it must not come from)
    "InboundTopic": ("social-messaging.amazonaws.com",
                     f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:waba/{WABA}",
                     f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:waba/0123456789abcdef0123456789abcdef"),
    "StreamingTopic": ("connect.amazonaws.com",
                       f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}",
                       f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{OTHER_INSTANCE}"),
}


def _allows(statement: dict, source_account: str, source_arn: str) -> bool:
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals", "ArnLike"}
    return (condition["StringEquals"] == {"aws:SourceAccount": source_account}
            and arn_like(source_arn, condition["ArnLike"]["aws:SourceArn"]))


def test_topic_policies_admit_only_the_configured_waba_and_instance(template):
    resolve = resolver(template, ConnectInstanceId=INSTANCE, WhatsAppBusinessAccountId=WABA)
    for topic, (service, source, stranger) in PUBLISHERS.items():
        (statement,) = resolve(template["Resources"][f"{topic}Policy"]["Properties"]["PolicyDocument"])["Statement"]
        assert statement["Principal"] == {"Service": service}
        assert statement["Action"] == "sns:Publish"
        assert _allows(statement, ACCOUNT, source), topic
        assert not _allows(statement, ACCOUNT, stranger), topic
        assert not _allows(statement, "444455556666", source.replace(ACCOUNT, "444455556666")), topic
    # Connect may name the instance or something in it (a contact) as the source.
    (streaming,) = resolve(template["Resources"]["StreamingTopicPolicy"]["Properties"]["PolicyDocument"])["Statement"]
    assert _allows(streaming, ACCOUNT, f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}/contact/c-1")


def test_with_the_wildcards_any_waba_or_instance_of_this_account_and_region_may_publish(template):
    resolve = resolver(template)  # the defaults: *
    for topic, (_, source, stranger) in PUBLISHERS.items():
        (statement,) = resolve(template["Resources"][f"{topic}Policy"]["Properties"]["PolicyDocument"])["Statement"]
        assert _allows(statement, ACCOUNT, source) and _allows(statement, ACCOUNT, stranger), topic
        assert not _allows(statement, ACCOUNT, source.replace(REGION, "us-west-2")), topic


def test_both_topics_are_encrypted_with_the_templates_key(template):
    resources = template["Resources"]
    assert resources["TopicKey"]["Type"] == "AWS::KMS::Key"
    assert resources["TopicKey"]["Properties"]["EnableKeyRotation"] is True
    for topic in PUBLISHERS:
        assert resources[topic]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["TopicKey", "Arn"]}


def test_the_key_policy_lets_each_service_encrypt_for_its_topic_and_the_account_only_administer(template):
    resolve = resolver(template, ConnectInstanceId=INSTANCE, WhatsAppBusinessAccountId=WABA)
    statements = resolve(template["Resources"]["TopicKey"]["Properties"]["KeyPolicy"])["Statement"]
    assert all(s["Effect"] == "Allow" and s["Resource"] == "*" for s in statements)  # "*": this key
    by_principal = {json.dumps(s["Principal"], sort_keys=True): s for s in statements}
    assert len(by_principal) == len(statements) == 3

    admin = by_principal[json.dumps({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})]
    assert "Condition" not in admin
    actions = admin["Action"]
    # Administration, including changing the policy (so the key can never be locked out)...
    assert "kms:Put*" in actions and "kms:ScheduleKeyDeletion" in actions
    # ...but no use of the key: no one in the account reads the topics' messages through it.
    for data_action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"):
        assert not any(fnmatch.fnmatchcase(data_action, granted) for granted in actions), data_action
    assert "kms:*" not in actions

    topic_policies = {topic: resolve(template["Resources"][f"{topic}Policy"]["Properties"]["PolicyDocument"])[
        "Statement"][0] for topic in PUBLISHERS}
    for topic, (service, source, stranger) in PUBLISHERS.items():
        statement = by_principal[json.dumps({"Service": service})]
        # What SNS needs from a publisher of an encrypted topic; SNS decrypts for its Lambda subscribers.
        assert statement["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
        assert statement["Condition"] == topic_policies[topic]["Condition"], topic
        assert _allows(statement, ACCOUNT, source) and not _allows(statement, ACCOUNT, stranger), topic


# --- what is kept, and for how long ----------------------------------------------------------------------

@pytest.mark.parametrize("stage_name", ["dev", "prod"])
def test_failed_events_are_kept_no_longer_than_the_media(template, stage_name):
    settings = stage(stage_name)
    resolve = resolver(template, **settings)
    seconds = resolve(template["Resources"]["AsyncFailureQueue"]["Properties"]["MessageRetentionPeriod"])
    assert seconds == int(settings["FailureRetentionDays"]) * 86400
    assert 60 <= seconds <= 14 * 86400  # what SQS accepts
    media_days = resolve(template["Resources"]["MediaBucket"]["Properties"]["LifecycleConfiguration"][
        "Rules"][0]["ExpirationInDays"])
    assert seconds <= int(media_days) * 86400
    # The default stack keeps to it as well.
    defaults = resolver(template)
    assert defaults(template["Resources"]["AsyncFailureQueue"]["Properties"]["MessageRetentionPeriod"]) <= \
        int(template["Parameters"]["MediaRetentionDays"]["Default"]) * 86400


def test_every_retention_the_parameter_allows_is_mapped(template):
    allowed = template["Parameters"]["FailureRetentionDays"]["AllowedValues"]
    assert allowed == [str(days) for days in range(1, 15)]
    assert {days: body["Seconds"] for days, body in template["Mappings"]["RetentionSeconds"].items()} == {
        days: int(days) * 86400 for days in allowed}


def test_the_queues_stay_encrypted(template):
    for queue in ("FlushFailureQueue", "AsyncFailureQueue"):
        assert template["Resources"][queue]["Properties"]["SqsManagedSseEnabled"] is True
    # The stream's failure records hold only shard and sequence numbers, no customer data.
    assert template["Resources"]["FlushFailureQueue"]["Properties"]["MessageRetentionPeriod"] == 14 * 86400
