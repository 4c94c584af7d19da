"""IAM, evaluated offline: each function's role allows exactly the AWS calls its code makes, on the
resources they touch (every handler run through its paths against the emulated account). The twin
holds each call against the same roles as it is made (emulator/iam.py); this checks that nothing
more is granted than the code needs."""
from __future__ import annotations

import ast
import json
from collections import defaultdict
from pathlib import Path

import botocore.session

from emulator.iam import allowing_statements, listify, required_permissions
from emulator.reference_events import status_of_sent
from tests.conftest import (
    ACCOUNT, DEFAULT_SETTINGS, PHONE_NUMBER_ARN, REFERENCE_CUSTOMER_WA_ID, REGION, function_policy,
    load_event, put_settings, resolver_values, text_from_customer, with_messages,
)
from tests.test_waiting import scheduled_event
from tests.packaging_support import (  # noqa: F401  (fixtures)
    DIRECT_FUNCTIONS, FUNCTIONS, ROOT, deploy, failure_destinations, merged, packages,
)

# Services the product's clients talk to (runtime.Clients), by botocore name.
CLIENT_SERVICES = ("dynamodb", "ssm", "connect", "connectparticipant", "socialmessaging", "s3", "transcribe")
# Granted for the platform, not for a call in the code: Lambda writes logs and traces with the
# function's role, and sends what it gives up on (the stream's failed batches, asynchronous events
# whose retries or age ran out) to the function's on-failure queue with it (failure_destinations).
PLATFORM_ACTIONS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                    "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Not in cfn-lint's copy of the Service Authorization Reference (the API is newer): its resource
# scoping cannot be checked offline, so it shares the Transcribe statement's "*".
UNLISTED_ACTIONS = {"transcribe:TranscribeAudio"}


class Recorder:
    """Attributes every AWS call to the handler whose invocation made it."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.calls: dict[str, list[dict]] = defaultdict(list)

    def run(self, name: str, invoke, *args, expect_error: bool = False):
        import app as app_module

        # Each function runs in containers of its own: nothing cached from another handler.
        app_module._caches.clear()
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


def other_customer(wa_id: str) -> dict:
    event = with_messages(load_event("eum-text"), [text_from_customer(f"wamid.pkg-{wa_id}", 1763000500, "Hi")])
    event["Records"][0]["Sns"]["Message"] = event["Records"][0]["Sns"]["Message"].replace(
        REFERENCE_CUSTOMER_WA_ID, wa_id)
    return event


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
    # WhatsApp's statuses of the agent's message become its Connect receipts: the session read,
    # its expired connection renewed first.
    reply = [s for s in twin.sent_whatsapp if "biz_opaque_callback_data" in s["message"]][-1]
    twin.expire_connections(first_contact)
    for status in ("delivered", "read"):
        recorder.run("on_whatsapp_event", bridge.whatsapp, status_of_sent(reply, status))
    # The agent's template commands read the business account's templates.
    for command in ("/templates", "/template order_update en_US Ana 4521 tomorrow"):
        recorder.run("on_connect_event", bridge.connect_event, twin.connect_streaming_event(
            first_contact, participant_role="AGENT", content=command))
    recorder.run("on_connect_event", bridge.connect_event, twin.agent_attachment_event(
        first_contact, name="label.pdf", content_type="application/pdf", data=b"%PDF-1.4\n" + bytes(500)))
    recorder.inbound(load_event("eum-reaction"))  # reads what the agent sent, to name it
    twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "InternalServiceException", 500, times=3)
    recorder.run("on_connect_event", bridge.connect_event, twin.connect_streaming_event(
        first_contact, participant_role="AGENT", content="Retried later"), expect_error=True)

    # A flush that fails after its first write waits; the scheduled retry reads its messages back.
    burst = [text_from_customer(f"wamid.pkg-burst-{n}", start + 30 + n, f"part {n}") for n in range(2)]
    recorder.run("on_whatsapp_event", bridge.whatsapp, with_messages(text, burst))
    twin.inject_fault("connectparticipant", "SendMessage", "InternalServerException", 500, times=3)
    assert recorder.run("flush_buffer", bridge.flush) == {"batchItemFailures": []}
    twin.advance_clock(600)
    recorder.run("retry_waiting", bridge.invoke, "retry_waiting", scheduled_event())
    assert recorder.run("flush_buffer", bridge.flush) == {"batchItemFailures": []}

    twin.end_chat(first_contact)  # the flush finds the chat gone: closes it, opens a new one
    recorder.inbound(with_messages(text, [text_from_customer("wamid.pkg-3", start + 60, "Still there?")]))
    (second_contact,) = set(twin.contacts) - {first_contact}
    # Two more customers wait for a chat; the chat that ends lets the first in, whose chat lets
    # the second in.
    twin.inject_fault("connect", "StartChatContact", "LimitExceededException", 429, times=2)
    for number in ("15550100077", "15550100078"):
        recorder.inbound(other_customer(number))
    recorder.run("on_connect_event", bridge.connect_event, twin.end_chat(second_contact))
    assert recorder.run("flush_buffer", bridge.flush) == {"batchItemFailures": []}

    # The business writes first, once the chat is over: a template, remembered for the reply.
    started = recorder.run("start_conversation", bridge.invoke, "start_conversation", {
        "customerNumber": f"+{REFERENCE_CUSTOMER_WA_ID}", "phoneNumberId": PHONE_NUMBER_ARN,
        "templateName": "order_update", "language": "en_US", "parameters": ["Ana", "4521", "tomorrow"]})
    assert started["status"] == "sent", started
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
            assert call["status"] < 500 or call["error"] in ("InternalServiceException", "InternalServerException"), call
            needed += required_permissions(call, account=ACCOUNT, region=REGION,
                                           stream_arn=aws.buffer_stream_arn)
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
        granted = {a for s in statements for a in listify(s["Action"])} - PLATFORM_ACTIONS
        # Lambda sends to the on-failure queue with the role (checked in the next test).
        platform = {"sqs:SendMessage"} if failure_destinations(merged, name) else set()
        assert granted - platform == {action for action, _, _ in needed}, name
        for index, statement in enumerate(statements):
            if set(listify(statement["Action"])) <= PLATFORM_ACTIONS | platform:
                continue
            assert index in used_statements, f"{name}: statement {statement['Sid']} is never needed"


def test_platform_grants_are_scoped_to_the_function_and_the_failure_queue(merged):
    resolver = deploy.Resolver(resolver_values("arn:aws:dynamodb:us-east-1:123456789012:table/b/stream/1"))
    for name in FUNCTIONS:
        statements = function_policy(merged, name, resolver)
        (logs,) = [s for s in statements if s["Sid"] == "Logs"]
        assert logs["Resource"] == (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
                                    f"/aws/lambda/whatsapp-connect-chat-test-{name}:*")
        queue = [s for s in statements if "sqs:SendMessage" in listify(s["Action"])]
        if name in DIRECT_FUNCTIONS:  # its caller gets the error: no failure queue to write to
            assert queue == [] and failure_destinations(merged, name) == [], name
            continue
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
                for action in listify(statement["Action"]):
                    prefix, _, operation = action.partition(":")
                    assert "*" not in action, f"{name}: {action}"
                    if action in UNLISTED_ACTIONS:
                        continue
                    assert operation.lower() in iam[prefix]["Actions"], f"{name}: unknown action {action}"
                    scopable = iam[prefix]["Actions"][operation.lower()].get("Resources")
                    if statement["Resource"] == "*":
                        assert not scopable, f"{name}: {action} on * although IAM scopes it to {scopable}"
                    else:
                        assert "*" not in listify(statement["Resource"]), name
