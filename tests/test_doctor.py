"""`make doctor` (scripts/doctor.py, doctor/) against the twin: a stage deployed from
infra/resources.json into moto's CloudFormation, its functions in moto's Lambda, Connect and End
User Messaging Social in the emulator. Every ✓ and every ✗ shows at least once, with its fix."""
from __future__ import annotations

import io
import json
import socket
from dataclasses import dataclass

import boto3
import pytest
from botocore.client import BaseClient

from emulator.templates import REFERENCE_WABA_ARN
from sandbox import resources
from tests.conftest import ACCOUNT, CONTACT_FLOW_ID, DEFAULT_SETTINGS, INSTANCE_ID, REFERENCE_WABA_ID, REGION
from tests.packaging_support import FUNCTIONS, deploy, load_script

doctor = load_script("doctor")
STAGE = "dev"
STACK = f"whatsapp-connect-chat-{STAGE}-resources"
OTHER_INSTANCE_ID = "0a1b2c3d-0000-4000-8000-000000000000"
# The reference business numbers' Meta ids (emulator/social.py).
META_NUMBER_IDS = ("101996265140636", "194215367264973")


@dataclass
class Deployed:
    twin: object
    outputs: dict
    clients: dict
    parameters: dict

    def client(self, name):
        return self.clients[name]

    def run(self, *argv):
        """doctor's exit code and its lines."""
        out = io.StringIO()
        code = doctor.main(["--stage", STAGE, *argv], out=out)
        return code, out.getvalue().splitlines()


def moto_client(twin, service):
    endpoint = twin.emulator_url if service == "socialmessaging" else twin.moto_url
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="deployer", aws_secret_access_key="deployer")


@pytest.fixture
def stage(twin, monkeypatch):
    """A healthy dev stage, as `make deploy` and the operator's steps after it leave one."""
    twin.reset()
    for name, value in (twin.endpoint_env() | {
            "AWS_ENDPOINT_URL": twin.moto_url, "AWS_ACCESS_KEY_ID": "deployer", "AWS_SECRET_ACCESS_KEY": "deployer",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}).items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    clients = {name: moto_client(twin, name) for name in (
        "cloudformation", "sns", "kms", "ssm", "lambda", "sqs", "iam", "socialmessaging")}

    template = deploy.load_template()
    bootstrap = deploy.bootstrap_template(template)
    settings = deploy.stage_settings(STAGE) | {"ConnectInstanceId": INSTANCE_ID,
                                               "WhatsAppBusinessAccountId": REFERENCE_WABA_ID}
    parameters = deploy.parameter_values(bootstrap, STAGE, settings, known=template["Parameters"])
    clients["cloudformation"].create_stack(
        StackName=STACK, TemplateBody=json.dumps(bootstrap), Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    outputs = deploy.stack_outputs(clients["cloudformation"], STACK)
    # moto's CloudFormation skips AWS::SNS::TopicPolicy: set the template's policies as AWS would.
    resolver = deploy.Resolver(deploy.values_from_outputs(template, outputs) | parameters | {
        "AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT})
    for body in template["Resources"].values():
        if body.get("Type") == "AWS::SNS::TopicPolicy":
            properties = resolver(body["Properties"])
            clients["sns"].set_topic_attributes(TopicArn=properties["Topics"][0], AttributeName="Policy",
                                                AttributeValue=json.dumps(properties["PolicyDocument"]))
    clients["ssm"].put_parameter(Name=outputs["ConfigParameterName"], Value=json.dumps(DEFAULT_SETTINGS),
                                 Type="String", Overwrite=True)
    # `chalice deploy`: the functions, their subscriptions and the stream's mapping.
    for function, logical_id in FUNCTIONS.items():
        arn = clients["lambda"].create_function(
            FunctionName=deploy.function_name(STAGE, function), Runtime="python3.12",
            Role=outputs[f"{logical_id}RoleArn"], Handler=f"app.{function}",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})["FunctionArn"]
        topic = {"on_whatsapp_event": "InboundTopicArn", "on_connect_event": "StreamingTopicArn"}.get(function)
        if topic:
            clients["sns"].subscribe(TopicArn=outputs[topic], Protocol="lambda", Endpoint=arn)
    clients["lambda"].create_event_source_mapping(
        FunctionName=deploy.function_name(STAGE, "flush_buffer"), EventSourceArn=outputs["BufferTableStreamArn"],
        StartingPosition="TRIM_HORIZON")
    # The operator's step after deploying: the business account's events go to the inbound topic.
    clients["socialmessaging"].put_whatsapp_business_account_event_destinations(
        id=REFERENCE_WABA_ARN, eventDestinations=[{"eventDestinationArn": outputs["InboundTopicArn"]}])
    twin.clear_calls()
    return Deployed(twin, outputs, clients, parameters)


def failures(lines):
    """Each ✗ line with the fix line after it."""
    return {line: lines[i + 1] for i, line in enumerate(lines) if line.startswith("✗")}


def function_name(function):
    return deploy.function_name(STAGE, function)


def put_settings(stage, **changes):
    stage.client("ssm").put_parameter(Name=stage.outputs["ConfigParameterName"], Overwrite=True,
                                      Type="String", Value=json.dumps(DEFAULT_SETTINGS | changes))


# --- ✓ ------------------------------------------------------------------------------------------

def test_a_healthy_stage_passes_every_check(stage):
    code, lines = stage.run()
    queue = {key: stage.outputs[key].rsplit("/", 1)[-1] for key in ("FlushFailureQueueUrl", "AsyncFailureQueueUrl")}
    assert lines == [
        "doctor: stage dev",
        "✓ settings parameter /whatsapp_eum_connect_chat/dev/config parses and passes the bridge's validation",
        f"✓ Connect instance {INSTANCE_ID} (twin-6688872b) is ACTIVE: it takes chats",
        f"✓ contact flow {CONTACT_FLOW_ID} (Inbound WhatsApp chat) is an active, published inbound flow",
        f"✓ attachments in instance {INSTANCE_ID} are on: up to 20 MB, csv, doc, docx, heic, jfif, jpeg, jpg, "
        "mov, mp4, pdf, png, ppt, pptx, rtf, txt, wav, xls, xlsx",
        f"✓ persistent chat in instance {INSTANCE_ID} can be used: chat transcripts are kept in S3",
        f"✓ business account waba-{REFERENCE_WABA_ID} is linked, numbers: Reference business (101996265140636), "
        "Reference business (194215367264973)",
        f"✓ event destination of waba-{REFERENCE_WABA_ID} is the stage's inbound topic",
        f"✓ templates of waba-{REFERENCE_WABA_ID}: 4 approved: order_update (en_US), order_update (pt_BR), "
        "appointment_reminder (en_US), welcome_back (en_US)",
        "✓ Connect may publish to the streaming topic",
        "✓ Connect may use the streaming topic's key",
        "✓ End User Messaging Social may publish to the inbound topic",
        "✓ End User Messaging Social may use the inbound topic's key",
        *(f"✓ function {function_name(f)} exists (python3.12)" for f in FUNCTIONS),
        f"✓ {function_name('on_whatsapp_event')} is subscribed to its topic",
        f"✓ {function_name('on_connect_event')} is subscribed to its topic",
        f"✓ {function_name('flush_buffer')} reads the buffer table's stream (mapping Enabled)",
        f"✓ {queue['FlushFailureQueueUrl']} is empty",
        f"✓ {queue['AsyncFailureQueueUrl']} is empty",
        "all checks passed",
    ]
    assert code == 0


def test_doctor_only_reads_and_the_deployers_doctor_statements_allow_each_call(stage, monkeypatch):
    made = []
    make_api_call = BaseClient._make_api_call

    def recorded(client, operation, params):
        made.append((client.meta.service_model.signing_name, operation))
        return make_api_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    stage.run()
    policy = json.loads((deploy.ROOT / "infra" / "deployer-policy.json").read_text())
    allowed = {action for s in policy["Statement"] if s["Sid"].startswith("Doctor") for action in s["Action"]}
    prefixes = {"socialmessaging": "social-messaging"}
    called = {f"{prefixes.get(service, service)}:{operation}" for service, operation in made}
    assert called == allowed
    assert all(action.split(":")[1].startswith(("Describe", "Get", "List")) for action in called)


# --- ✗ ------------------------------------------------------------------------------------------

def test_a_missing_stack_is_one_line_naming_the_deploy(stage):
    code, lines = stage.run("--stack", "whatsapp-connect-chat-nowhere")
    assert lines[1:] == [
        f"✗ no stack whatsapp-connect-chat-nowhere in {REGION}: deploy the stage (make deploy STAGE=dev), "
        "or name the stack that holds it (--stack, for a `make package` deployment)"]
    assert code == 1


def test_missing_settings_parameter(stage):
    stage.client("ssm").delete_parameter(Name=stage.outputs["ConfigParameterName"])
    code, lines = stage.run()
    assert failures(lines) == {
        "✗ settings parameter /whatsapp_eum_connect_chat/dev/config does not exist":
            "    fix: deploy the stage (make deploy STAGE=dev), which creates it, then fill it in (the README's Settings)"}
    assert "– Connect instance, flow, attachments and persistent chat: need valid settings" in lines
    assert "– who may publish to the streaming topic: needs valid settings" in lines
    assert lines[-1] == "1 check failed" and code == 1


def test_settings_still_holding_the_stacks_placeholders(stage):
    seeded = {"instance_id": "INSTANCE_ID", "contact_flow_id": "CONTACT_FLOW_ID", "chat_duration_minutes": 60,
              "ignore_reactions": "yes", "ignore_stickers": "yes"}
    stage.client("ssm").put_parameter(Name=stage.outputs["ConfigParameterName"], Value=json.dumps(seeded),
                                      Type="String", Overwrite=True)
    code, lines = stage.run()
    (line, fix), = failures(lines).items()
    assert line.startswith("✗ settings parameter /whatsapp_eum_connect_chat/dev/config: ") and "instance_id" in line
    assert fix == ("    fix: aws ssm put-parameter --overwrite --name /whatsapp_eum_connect_chat/dev/config "
                   "--value '<JSON>' (the README's Settings)")
    assert code == 1


def test_an_instance_that_does_not_exist_outside_the_stages_scope(stage):
    put_settings(stage, instance_id=OTHER_INSTANCE_ID)
    code, lines = stage.run()
    label = f"Connect instance {OTHER_INSTANCE_ID}"
    found = failures(lines)
    assert found[f"✗ {label}: the stage's roles may start chats only in instance {INSTANCE_ID}"] == (
        f"    fix: set instance_id to {INSTANCE_ID}, or ConnectInstanceId in infra/stages/dev.json to "
        f"{OTHER_INSTANCE_ID} and deploy again")
    assert found[f"✗ {label} does not exist in {REGION}"].startswith("    fix: set instance_id to the id at the end")
    # Neither Connect nor its key lets that instance publish: the stage's policies name the other.
    assert "✗ the streaming topic's policy does not let Connect publish" in " ".join(found)
    assert not any(line.startswith(("✓ contact flow", "✗ contact flow")) for line in lines)
    assert code == 1


def test_an_instance_that_failed_to_be_created(stage):
    stage.twin.connect_admin.set_instance_status(INSTANCE_ID, "CREATION_FAILED", "Directory unavailable")
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ Connect instance {INSTANCE_ID} (twin-6688872b) is CREATION_FAILED: it takes no chats":
            "    fix: wait for its creation to finish, or create a new instance (Directory unavailable)"}
    assert not any("contact flow" in line for line in lines)


def test_a_flow_saved_but_not_published(stage):
    stage.twin.connect_admin.set_flow(INSTANCE_ID, CONTACT_FLOW_ID, Status="SAVED")
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ contact flow {CONTACT_FLOW_ID} is saved but not published: chats cannot start in it":
            "    fix: publish it in the flow designer (Routing, Flows, the flow, Publish)"}
    assert code == 1


@pytest.mark.parametrize("members, line, fix", [
    ({"State": "ARCHIVED"}, "(Inbound WhatsApp chat) is ARCHIVED", "restore it, or set contact_flow_id to an active flow"),
    ({"Type": "CUSTOMER_QUEUE"}, "(Inbound WhatsApp chat) is a CUSTOMER_QUEUE flow, not an inbound flow",
     "set contact_flow_id to an inbound flow (type Contact flow)"),
])
def test_a_flow_that_cannot_start_chats(stage, members, line, fix):
    stage.twin.connect_admin.set_flow(INSTANCE_ID, CONTACT_FLOW_ID, **members)
    code, lines = stage.run()
    assert failures(lines) == {f"✗ contact flow {CONTACT_FLOW_ID} {line}": f"    fix: {fix}"}


def test_a_flow_id_of_no_flow(stage):
    put_settings(stage, contact_flow_id="ffffffff-0000-4000-8000-000000000000")
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ contact flow ffffffff-0000-4000-8000-000000000000 is not a flow of instance {INSTANCE_ID}":
            "    fix: set contact_flow_id to the last part of the inbound flow's ARN (infra/flows/ has one to import)"}


def test_attachments_off_and_no_chat_transcripts(stage):
    stage.twin.connect_admin.set_storage(INSTANCE_ID, "ATTACHMENTS", False)
    stage.twin.connect_admin.set_storage(INSTANCE_ID, "CHAT_TRANSCRIPTS", False)
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ attachments in instance {INSTANCE_ID} are off: customers' files and voice notes reach the agent "
        "as a note only": "    fix: enable attachments: Connect console, the instance, Data storage, Attachments",
        f"✗ persistent chat in instance {INSTANCE_ID} cannot be used: the instance keeps no chat transcripts":
            "    fix: Connect console, the instance, Data storage, Chat transcripts: choose an S3 bucket"}
    assert lines[-1] == "2 checks failed" and code == 1


def test_event_destination_not_the_inbound_topic_and_an_unlinked_number_in_the_settings(stage):
    stage.client("socialmessaging").put_whatsapp_business_account_event_destinations(
        id=REFERENCE_WABA_ARN, eventDestinations=[])
    put_settings(stage, phone_numbers={"999000111222333": {"contact_flow_id": CONTACT_FLOW_ID}})
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ event destination of waba-{REFERENCE_WABA_ID} is none, not the stage's inbound topic: no customer "
        "message reaches the bridge":
            f"    fix: aws socialmessaging put-whatsapp-business-account-event-destinations --id "
            f"waba-{REFERENCE_WABA_ID} --event-destinations eventDestinationArn={stage.outputs['InboundTopicArn']}",
        "✗ settings phone_numbers names 999000111222333, which no linked account has":
            "    fix: use the number's Meta phone number id, as its webhooks name it (metadata.phone_number_id), "
            "or remove the entry"}


def test_no_approved_template_and_a_business_account_not_linked(stage):
    # A second account, linked with only a pending template.
    stage.twin.social.add_template("waba-0ther", {"name": "spring", "language": "en_US", "status": "PENDING",
                                                  "category": "MARKETING", "components": []})
    code, lines = stage.run()
    assert not failures(lines)  # the stage serves the reference account only
    stage.client("cloudformation").update_stack(
        StackName=STACK, UsePreviousTemplate=True, Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v}
                    for k, v in (stage.parameters | {"WhatsAppBusinessAccountId": "0ther"}).items()])
    code, lines = stage.run()
    found = failures(lines)
    assert found["✗ templates of waba-0ther: none is approved, so nothing reaches a customer after the "
                 "24-hour window"] == "    fix: create a template in WhatsApp Manager and wait for Meta's approval"
    assert "✗ event destination of waba-0ther is none, not the stage's inbound topic: no customer message reaches the bridge" in found
    stage.twin.social.reset()
    code, lines = stage.run()
    assert failures(lines)["✗ no WhatsApp business account 0ther is linked in us-east-1"] == (
        "    fix: link it in the End User Messaging Social console (WhatsApp, Business accounts), or correct "
        "WhatsAppBusinessAccountId in infra/stages/dev.json")


def test_topic_and_key_policies_that_shut_the_services_out(stage):
    sns, kms = stage.client("sns"), stage.client("kms")
    sns.set_topic_attributes(TopicArn=stage.outputs["StreamingTopicArn"], AttributeName="Policy",
                             AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": []}))
    key = stage.outputs["TopicKeyArn"]
    policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    policy = json.loads(policy) if isinstance(policy, str) else policy  # moto answers the stack's as an object
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "EndUserMessagingSocialEncryptsInboundEvents"]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ the streaming topic's policy does not let Connect publish "
        f"(arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE_ID})":
            "    fix: deploy the stage again (make deploy STAGE=dev): the stack's topic policy allows it",
        "✗ the inbound topic's key policy does not let End User Messaging Social use the key: its messages are lost":
            "    fix: deploy the stage again: the stack's TopicKey policy allows it"}
    assert "✓ Connect may use the streaming topic's key" in lines


def test_functions_missing_unsubscribed_or_not_reading_the_stream(stage):
    lambda_, sns = stage.client("lambda"), stage.client("sns")
    lambda_.delete_function(FunctionName=function_name("retry_waiting"))
    inbound = stage.outputs["InboundTopicArn"]
    for subscription in sns.list_subscriptions_by_topic(TopicArn=inbound)["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    (mapping,) = lambda_.list_event_source_mappings(FunctionName=function_name("flush_buffer"))["EventSourceMappings"]
    lambda_.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ function {function_name('retry_waiting')} does not exist": "    fix: make deploy STAGE=dev",
        f"✗ {function_name('on_whatsapp_event')} is not subscribed to {inbound}: its events go nowhere":
            "    fix: make deploy STAGE=dev (chalice deploy subscribes it)",
        f"✗ {function_name('flush_buffer')}'s mapping of the buffer table's stream is Disabled":
            f"    fix: aws lambda update-event-source-mapping --uuid {mapping['UUID']} --enabled"}
    lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
    code, lines = stage.run()
    assert failures(lines)[f"✗ {function_name('flush_buffer')} does not read the buffer table's stream: customers' "
                           "messages stay in the buffer"] == "    fix: make deploy STAGE=dev"


def test_a_failure_queue_holding_what_lambda_gave_up_on(stage):
    url = stage.outputs["AsyncFailureQueueUrl"]
    for _ in range(2):
        stage.client("sqs").send_message(QueueUrl=url, MessageBody="{}")
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ {url.rsplit('/', 1)[-1]} holds 2 messages Lambda gave up on":
            "    fix: fix the cause, then redrive them: docs/deploy.md, Failed events"}


def test_calls_the_caller_may_not_make_or_that_fail(stage):
    stage.twin.inject_fault("connect", "DescribeInstance", "AccessDeniedException", status=403)
    stage.twin.inject_fault("socialmessaging", "ListLinkedWhatsAppBusinessAccounts", "InternalServiceException",
                            status=500, message="Try later", times=5)
    code, lines = stage.run()
    assert failures(lines) == {
        f"✗ Connect instance {INSTANCE_ID}: not allowed to call DescribeInstance":
            "    fix: run doctor with credentials that carry the Doctor statement of infra/deployer-policy.json",
        "✗ WhatsApp business accounts: ListLinkedWhatsAppBusinessAccounts failed (InternalServiceException: Try later)":
            "    fix: look at the error above; run doctor again once it is cleared"}
    assert code == 1


# --- the sandbox (STAGE=local) ------------------------------------------------------------------

def sandbox_env_file(twin, tmp_path):
    """What `make sandbox` creates in the twin and writes to .env.sandbox."""
    endpoints = twin.endpoint_env()
    created = resources.create(endpoints, resources.settings_document(INSTANCE_ID, CONTACT_FLOW_ID, {}))
    path = tmp_path / ".env.sandbox"
    path.write_text("\n".join(resources.env_lines(endpoints, created, twin.emulator_url, 2.0, INSTANCE_ID,
                                                  CONTACT_FLOW_ID)) + "\n")
    return path


def run_local(path):
    out = io.StringIO()
    code = doctor.main(["--stage", "local", "--env-file", str(path)], out=out)
    return code, out.getvalue().splitlines()


def test_the_running_sandbox_passes(twin, tmp_path):
    twin.reset()
    code, lines = run_local(sandbox_env_file(twin, tmp_path))
    assert [line[0] for line in lines[1:-1]] == ["✓"] * 8 + ["–", "–"]
    assert lines[-2] == "– functions, event sources and failure queues: chalice local runs the handlers in the sandbox"
    assert lines[-1] == "all checks passed" and code == 0


def test_a_sandbox_that_is_not_running(tmp_path):
    code, lines = run_local(tmp_path / ".env.sandbox")
    assert lines[1:] == ["✗ no .env.sandbox: start the sandbox first (make sandbox)"] and code == 1
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    path = tmp_path / ".env.sandbox"
    path.write_text("\n".join(["AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=sandbox", "AWS_SECRET_ACCESS_KEY=sandbox",
                               "AWS_SESSION_TOKEN=sandbox",
                               f"AWS_ENDPOINT_URL={closed}", f"AWS_ENDPOINT_URL_SSM={closed}",
                               "CONFIG_PARAMETER=/whatsapp_eum_connect_chat/local/config",
                               "CONNECT_STREAMING_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:streaming",
                               "SANDBOX_INBOUND_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:inbound"]) + "\n")
    code, lines = run_local(path)
    assert lines[1].startswith("✗ cannot reach the sandbox's twin (is make sandbox running?)") and code == 1
