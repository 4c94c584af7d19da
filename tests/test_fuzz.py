"""Bad input never raises out of a handler: the reference events of events/, mutated.

A raise means Lambda's retries, then the failure queue, and nobody is told. Each case takes one
reference event, changes one place in it (a type swapped for another, a field removed, a
100,000-character string, an unknown kind, a nested part of the webhook replaced) and runs it
through the real handler next to a valid neighbour. It asserts that the handler returns, that the
neighbour is delivered, and that what was not delivered was logged.

The cases are drawn from every field path of every event with a seeded generator, so a run is
repeatable and its ids name the event, the path and the mutation. Cases that still raise in code
being rewritten (flush delivery, outbound sending, transcripts) are strict xfails in LEAD_AREA.
"""
from __future__ import annotations

import copy
import json
import random
from typing import Any, Iterator

import boto3
import pytest

from chalicelib import transcribe
from tests.conftest import (
    ACCOUNT, BUFFER_TABLE, MEDIA_BUCKET, REGION, load_event, text_from_customer,
)

SEED = "issue-11-bad-input"
# Bounded so the file runs in about a minute; raise them locally to explore further.
WHATSAPP_CASES_PER_EVENT = 2
CONNECT_CASES_PER_EVENT = 1
STREAM_RECORD_CASES = 8
TRANSCRIPTION_JOB_CASES = 5

LONG_TEXT = "fuzz " * 20_000  # 100,000 characters
REMOVED = object()
REPLACEMENTS: dict[str, Any] = {
    "str": "fuzz", "int": 15550100001, "float": 15550100001.0, "list": ["fuzz"],
    "dict": {"fuzz": 1}, "None": None, "long": LONG_TEXT, "removed": REMOVED,
}
# A value of the right type that names nothing the bridge knows: an unknown message type,
# status, item type or content type.
UNKNOWN_KIND = "hologram"
KIND_KEYS = frozenset({"type", "status", "Type", "ContentType", "ParticipantRole", "Status"})

NEIGHBOUR_TEXT = "The fuzz neighbour is still here"
NEIGHBOUR_WAMID = "wamid.fuzz-neighbour"
SECOND_NUMBER_TEXT = "Hello, is this the billing line?"
AGENT_NEIGHBOUR_TEXT = "The agent's neighbour reply"
FIXTURE_CONTACT = "21a81720-8a48-4512-88e6-d4987715835e"
FIXTURE_ATTACHMENT = "3ac78ef2-3f36-44e2-a02e-c677e23a2591"

# Cases that still raise (or fail the batch) in the lead's area; strict, so a fix shows up.
LEAD_AREA: dict[str, str] = {}

Path = tuple[Any, ...]


# --- the generator ------------------------------------------------------------------------------

def paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in a JSON document, containers included, depth first."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from paths(child, prefix + (key,))


def mutations_for(document: Any, path: Path) -> list[str]:
    current = get(document, path)
    names = [name for name, value in REPLACEMENTS.items()
             if value is REMOVED or type(value) is not type(current)]
    if not isinstance(path[-1], str):
        names.remove("removed")  # a list element is replaced, never cut out of its neighbours
    if path[-1] in KIND_KEYS:
        names.append("unknown")
    return names


def get(document: Any, path: Path) -> Any:
    for key in path:
        document = document[key]
    return document


def mutate(document: Any, path: Path, mutation: str) -> Any:
    mutated = copy.deepcopy(document)
    parent = get(mutated, path[:-1])
    if mutation == "removed":
        del parent[path[-1]]
    else:
        parent[path[-1]] = UNKNOWN_KIND if mutation == "unknown" else copy.deepcopy(REPLACEMENTS[mutation])
    return mutated


def drawn(name: str, document: Any, count: int, *, skip: Path | None = None) -> list[tuple[Path, str]]:
    """`count` (path, mutation) pairs of the document, the same ones on every run."""
    pairs = [(path, mutation) for path in paths(document)
             if skip is None or path[:len(skip)] != skip
             for mutation in mutations_for(document, path)]
    return random.Random(f"{SEED}:{name}").sample(pairs, min(count, len(pairs)))


def case_id(name: str, path: Path, mutation: str) -> str:
    return f"{name}:{'.'.join(map(str, path)) or '(root)'}:{mutation}"


def cases(handler: str, generated: list[tuple[str, Any]]) -> list:
    return [pytest.param(*values, id=ident, marks=[pytest.mark.xfail(
        strict=True, reason=LEAD_AREA[f"{handler}/{ident}"])] if f"{handler}/{ident}" in LEAD_AREA else [])
        for ident, values in generated]


# --- observing the handlers -----------------------------------------------------------------------

def log_lines(capsys) -> list[dict]:
    lines = []
    for line in capsys.readouterr().out.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and "event" in entry:
            lines.append(entry)
    return lines


def warnings(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("level") in ("WARNING", "ERROR")]


def buffered_message_ids() -> set[str]:
    return {item["messageId"] for item in boto3.resource("dynamodb").Table(BUFFER_TABLE).scan()["Items"]}


def chat_texts(twin) -> list[str]:
    return [item.get("Content") for contact in twin.contacts.values()
            for item in contact["transcript"] if item.get("Type") == "MESSAGE"]


def whatsapp_texts(twin) -> list[str]:
    return [sent["message"]["text"]["body"] for sent in twin.sent_whatsapp
            if sent["message"].get("type") == "text"]


# --- on_whatsapp_event, then flush_buffer on what it buffered --------------------------------------

def eum_document(event: dict) -> dict:
    """The SNS message of the event's first record, with its webhook entry decoded, plus a valid
    neighbour message from the same customer at the end of the first change's messages."""
    envelope = json.loads(event["Records"][0]["Sns"]["Message"])
    envelope["whatsAppWebhookEntry"] = json.loads(envelope["whatsAppWebhookEntry"])
    value = envelope["whatsAppWebhookEntry"]["changes"][0]["value"]
    customer = value.get("contacts", [{}])[0].get("wa_id") or (value.get("statuses") or [{}])[0].get(
        "recipient_id")
    neighbour = text_from_customer(NEIGHBOUR_WAMID, 1762956000, NEIGHBOUR_TEXT)
    value["messages"] = value.get("messages", []) + [{**neighbour, "from": customer}]
    return envelope


WEBHOOK_VALUE = ("whatsAppWebhookEntry", "changes", 0, "value")


def neighbour_path(document: dict) -> Path:
    messages = document["whatsAppWebhookEntry"]["changes"][0]["value"]["messages"]
    return ("whatsAppWebhookEntry", "changes", 0, "value", "messages", len(messages) - 1)


def eum_event(reference: dict, document: Any) -> dict:
    """The reference event carrying the (mutated) document, followed by a valid record for the
    second business number."""
    record = copy.deepcopy(reference["Records"][0])
    if isinstance(document, dict) and isinstance(document.get("whatsAppWebhookEntry"), dict):
        document = {**document, "whatsAppWebhookEntry": json.dumps(document["whatsAppWebhookEntry"])}
    record["Sns"]["Message"] = json.dumps(document)
    return {"Records": [record] + load_event("eum-second-number")["Records"]}


EUM_EVENTS = [
    "eum-text", "eum-text-burst", "eum-text-reply-context", "eum-image", "eum-document", "eum-video",
    "eum-audio-voice", "eum-sticker", "eum-reaction", "eum-reaction-removed", "eum-location",
    "eum-contacts", "eum-interactive-button-reply", "eum-interactive-list-reply", "eum-button",
    "eum-unsupported", "eum-status-sent-delivered-read", "eum-status-failed", "eum-text-username",
    "eum-text-username-and-number",
]

# The inputs the issue names, besides the drawn ones.
ISSUE_11_WEBHOOK_CASES = [
    ("eum-text", ("whatsAppWebhookEntry", "changes", 0, "value", "metadata"), "str"),
    ("eum-text", ("whatsAppWebhookEntry", "changes", 0, "value", "contacts", 0, "profile"), "str"),
    ("eum-text", ("whatsAppWebhookEntry", "changes", 0, "value", "contacts", 0, "profile", "name"), "int"),
    ("eum-text", ("whatsAppWebhookEntry", "changes", 0, "value", "messages", 0, "from"), "float"),
    ("eum-status-failed", ("whatsAppWebhookEntry", "changes", 0, "value", "statuses", 0, "recipient_id"),
     "float"),
]


def whatsapp_cases() -> list:
    generated = []
    for name in EUM_EVENTS:
        document = eum_document(load_event(name))
        picked = drawn(name, document, WHATSAPP_CASES_PER_EVENT, skip=neighbour_path(document))
        picked += [(path, mutation) for event, path, mutation in ISSUE_11_WEBHOOK_CASES if event == name]
        generated += [(case_id(name, path, mutation), (name, path, mutation)) for path, mutation in picked]
    return cases("on_whatsapp_event", generated)


def accounted_for(document: Any, buffered: set[str], lines: list[dict]) -> list[str]:
    """Places of the first change's messages and statuses that were neither buffered nor logged."""
    logged_places = {line.get("where") for line in lines if line.get("event") == "malformed_whatsapp_item_skipped"}
    if any(line.get("event") == "malformed_whatsapp_event_skipped" for line in lines):
        return []
    try:
        value = document["whatsAppWebhookEntry"]["changes"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return []  # nothing of the first change is left to account for
    missing = []
    for kind in ("messages", "statuses"):
        items = value.get(kind) if isinstance(value, dict) else None
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            where = f"changes[0].{kind}[{index}]"
            if {where, f"changes[0].{kind}", "changes[0]"} & logged_places:
                continue
            if isinstance(item, dict) and str(item.get("id")) in buffered:
                continue
            if kind == "statuses" and isinstance(item, dict) and item.get("status") != "failed":
                continue  # sent, delivered and read are logged only, by design
            missing.append(where)
    return missing


@pytest.mark.parametrize("name, path, mutation", whatsapp_cases())
def test_mutated_webhook_is_buffered_or_logged_and_its_neighbours_delivered(bridge, capsys, name, path,
                                                                             mutation):
    reference = load_event(name)
    document = mutate(eum_document(reference), path, mutation)
    capsys.readouterr()

    bridge.whatsapp(eum_event(reference, document))

    received = log_lines(capsys)
    buffered = buffered_message_ids()
    second_number_wamid = json.loads(json.loads(load_event("eum-second-number")["Records"][0]["Sns"][
        "Message"])["whatsAppWebhookEntry"])["changes"][0]["value"]["messages"][0]["id"]
    assert second_number_wamid in buffered
    neighbour = neighbour_path(eum_document(reference))
    if NEIGHBOUR_WAMID not in buffered and path != neighbour[:len(path)]:
        # Only a broken envelope (no webhook, no business number) may take the neighbour along,
        # and then the record is logged as a whole.
        assert path[:len(WEBHOOK_VALUE)] != WEBHOOK_VALUE
        assert any(line["event"] == "malformed_whatsapp_event_skipped" for line in received)
    assert accounted_for(document, buffered, received) == []

    assert bridge.flush() == {"batchItemFailures": []}

    delivered = chat_texts(bridge.twin)
    assert any(SECOND_NUMBER_TEXT in (text or "") for text in delivered)
    if NEIGHBOUR_WAMID in buffered:
        assert any(NEIGHBOUR_TEXT in (text or "") for text in delivered)


# --- flush_buffer on stream records that are malformed themselves --------------------------------

def stream_record_cases() -> list:
    # The places of a buffered entry's stream record; the test mutates a real one read from the stream.
    template = {"dynamodb": {"SequenceNumber": "1", "NewImage": {
        "conversationId": {"S": "c"}, "messageKey": {"S": "k"}, "kind": {"S": "message"},
        "messageId": {"S": "m"}, "timestamp": {"N": "1"}, "phoneNumberId": {"S": "p"},
        "originationId": {"S": "o"}, "displayPhoneNumber": {"S": "d"}, "customerId": {"S": "c"},
        "customerWaId": {"S": "w"}, "customerName": {"S": "n"}, "body": {"S": "{}"},
        "receivedAt": {"N": "1"}, "expiresAt": {"N": "1"}}}}
    picked = drawn("stream-record", template, STREAM_RECORD_CASES)
    picked.append((("dynamodb", "NewImage", "body", "S"), "str"))  # a body that is not JSON
    return cases("flush_buffer", [(case_id("stream-record", path, mutation), (path, mutation))
                                  for path, mutation in picked])


@pytest.mark.parametrize("path, mutation", stream_record_cases())
def test_malformed_stream_record_is_logged_and_the_rest_of_the_batch_delivered(bridge, capsys, path,
                                                                                mutation):
    bridge.whatsapp(load_event("eum-text"))
    bridge.whatsapp(load_event("eum-second-number"))
    first, second = sorted(bridge.stream_records(),
                           key=lambda r: r["dynamodb"]["NewImage"]["phoneNumberId"]["S"])
    broken = mutate(first, path, mutation)
    capsys.readouterr()

    result = bridge.flush([broken, second])

    assert result == {"batchItemFailures": []}
    assert any(SECOND_NUMBER_TEXT in (text or "") for text in chat_texts(bridge.twin))
    lines = log_lines(capsys)
    assert any(line["event"] == "malformed_stream_record_skipped" for line in lines) or any(
        "help with my order" in (text or "") for text in chat_texts(bridge.twin))


# --- on_connect_event ------------------------------------------------------------------------------

CONNECT_EVENTS = [
    "connect-agent-text", "connect-agent-markdown", "connect-system-message", "connect-custom-bot-message",
    "connect-customer-echo", "connect-agent-only-visibility", "connect-agent-attachment",
    "connect-interactive-listpicker", "connect-interactive-quickreply", "connect-participant-joined-agent",
    "connect-participant-left-agent", "connect-participant-left-customer", "connect-typing-agent",
    "connect-agent-read-receipt", "connect-chat-ended", "connect-transferred-agent-text",
]

ISSUE_11_STREAMING_CASES = [
    ("connect-agent-text", ("Message", "Content"), "dict"),
    ("connect-agent-text", ("Message", "ParticipantRole"), "list"),
    ("connect-agent-attachment", ("Message", "Attachments", 0, "AttachmentId"), "removed"),
]


def streaming_document(event: dict) -> dict:
    """What a streaming record carries that Connect writes: the message body, decoded, and the
    SNS message attributes."""
    sns = event["Records"][0]["Sns"]
    return {"Message": json.loads(sns["Message"]), "MessageAttributes": sns["MessageAttributes"]}


def connect_cases() -> list:
    generated = []
    for name in CONNECT_EVENTS:
        document = streaming_document(load_event(name))
        picked = drawn(name, document, CONNECT_CASES_PER_EVENT)
        picked += [(path, mutation) for event, path, mutation in ISSUE_11_STREAMING_CASES if event == name]
        generated += [(case_id(name, path, mutation), (name, path, mutation)) for path, mutation in picked]
    return cases("on_connect_event", generated)


def readdressed(value: Any, contact_id: str, twin) -> Any:
    """A reference streaming item moved into the chat the test opened; its attachment, if any,
    stored in that chat, so GetAttachment finds it."""
    text = json.dumps(value).replace(FIXTURE_CONTACT, contact_id)
    if FIXTURE_ATTACHMENT in text:
        text = text.replace(FIXTURE_ATTACHMENT, twin.connect.add_agent_attachment(
            contact_id, "return-label-4521.pdf", "application/pdf", b"%PDF-1.4\n%fuzz\n%%EOF\n"))
    return json.loads(text)


def streaming_record(reference: dict, document: Any) -> dict:
    """The reference record carrying the (mutated) body and attributes; Lambda's own keys stay."""
    record = copy.deepcopy(reference["Records"][0])
    document = document if isinstance(document, dict) else {}
    record["Sns"]["Message"] = json.dumps(document["Message"]) if "Message" in document else ""
    record["Sns"]["MessageAttributes"] = document.get("MessageAttributes", {})
    return record


def agent_neighbour(contact_id: str, twin) -> dict:
    event = load_event("connect-agent-text")
    sns = event["Records"][0]["Sns"]
    body = json.loads(sns["Message"])
    body.update(Id="fuzz-neighbour-item", Content=AGENT_NEIGHBOUR_TEXT)
    sns["Message"] = json.dumps(body)
    return readdressed(event["Records"][0], contact_id, twin)


@pytest.mark.parametrize("name, path, mutation", connect_cases())
def test_mutated_streaming_item_is_sent_or_logged_and_its_neighbour_sent(bridge, capsys, name, path,
                                                                        mutation):
    contact_id = bridge.open_chat()
    reference = load_event(name)
    document = mutate(readdressed(streaming_document(reference), contact_id, bridge.twin), path, mutation)
    capsys.readouterr()

    bridge.connect_event({"Records": [agent_neighbour(contact_id, bridge.twin), streaming_record(reference, document)]})

    assert AGENT_NEIGHBOUR_TEXT in whatsapp_texts(bridge.twin)
    # The neighbour's send is one line; the mutated item leaves at least one of its own.
    assert len(log_lines(capsys)) >= 2


def test_agent_attachment_after_the_chat_ended_is_logged_not_raised(bridge, capsys):
    contact_id = bridge.open_chat()
    record = readdressed(load_event("connect-agent-attachment")["Records"][0], contact_id, bridge.twin)
    bridge.twin.end_chat(contact_id)
    capsys.readouterr()

    bridge.connect_event({"Records": [record]})

    assert bridge.twin.sent_whatsapp == []
    assert warnings(log_lines(capsys))


# --- on_transcription_job ----------------------------------------------------------------------------

def job_event(name: str, status: str = "COMPLETED") -> dict:
    return {"version": "0", "id": "5b5a4a28-0e3f-4c6f-9d4b-1a2b3c4d5e6f",
            "detail-type": "Transcribe Job State Change", "source": "aws.transcribe", "account": ACCOUNT,
            "time": "2025-11-12T14:05:00Z", "region": REGION, "resources": [],
            "detail": {"TranscriptionJobName": name, "TranscriptionJobStatus": status}}


def store_transcript(name: str, text: str) -> None:
    document = {"jobName": name, "results": {"language_code": "en-US",
                                             "transcripts": [{"transcript": text}], "items": []}}
    boto3.client("s3").put_object(Bucket=MEDIA_BUCKET, Key=transcribe.transcript_key(name),
                                  Body=json.dumps(document).encode())


def transcription_cases() -> list:
    template = {"detail": job_event("job")["detail"]}
    picked = drawn("transcription-job", template, TRANSCRIPTION_JOB_CASES)
    return cases("on_transcription_job", [(case_id("transcription-job", path, mutation), (path, mutation))
                                          for path, mutation in picked])


@pytest.mark.parametrize("path, mutation", transcription_cases())
def test_malformed_transcription_job_event_is_logged_not_raised(bridge, capsys, path, mutation):
    contact_id = bridge.open_chat()
    name = transcribe.job_name(contact_id, "wamid.voice")
    store_transcript(name, "Where is my parcel")
    event = job_event(name)
    mutated = mutate({"detail": event["detail"]}, path, mutation)
    event["detail"] = mutated.get("detail")
    capsys.readouterr()

    bridge.invoke("on_transcription_job", event)

    # Delivered or not, the handler says what it did with the event.
    assert log_lines(capsys)


def test_transcription_job_whose_transcript_file_is_missing_is_logged_not_raised(bridge, capsys):
    contact_id = bridge.open_chat()
    name = transcribe.job_name(contact_id, "wamid.voice")
    capsys.readouterr()

    bridge.invoke("on_transcription_job", job_event(name))

    assert warnings(log_lines(capsys))
    assert chat_texts(bridge.twin)[-1] == transcribe.UNAVAILABLE_LINE


def test_the_generator_is_deterministic_and_bounded():
    first, second = whatsapp_cases(), whatsapp_cases()
    assert [p.id for p in first] == [p.id for p in second]
    total = len(first) + len(connect_cases()) + len(stream_record_cases()) + len(transcription_cases())
    assert total <= 80
