"""Logs: one JSON object per line naming its Lambda invocation, and never a token or the customer's
number in any form: not plain, not as seven or more of its digits, not inside a base64 message id."""
import base64
import itertools
import json
import logging
import re
import uuid

import boto3
import pytest

from chalicelib import logs
from tests.conftest import (
    CUSTOMER_WA_ID, DEFAULT_SETTINGS, SESSIONS_TABLE, load_event, put_settings, text_from_customer,
    with_messages,
)
from tests.test_media_inbound import voice_note_event, webhook_message

FIRST_WAMID = "wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQ0NENBMUMxM0RFRjlGQkFFODBBOAA="
FIXTURE_CONTACT = "21a81720-8a48-4512-88e6-d4987715835e"
HASHED_ID = re.compile(r"^wamid:[0-9a-f]{12}$")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}")


class FakeLambdaContext:
    def __init__(self, function_name):
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = f"whatsapp-connect-chat-test-{function_name}"


class Invocations:
    """Calls the handlers as Lambda would, each with its own context, and keeps each call's lines."""

    def __init__(self, capsys):
        import app

        self.app = app
        self.capsys = capsys
        self.runs = []  # (context, raw lines)

    def invoke(self, function_name, event):
        self.capsys.readouterr()
        context = FakeLambdaContext(function_name)
        result = getattr(self.app, function_name)(event, context)
        lines = [line for line in self.capsys.readouterr().out.splitlines() if line.strip()]
        self.runs.append((context, lines))
        return [entry for entry in map(json.loads, lines) if "_aws" not in entry]  # EMF: test_metrics

    def lines(self):
        return [line for _, lines in self.runs for line in lines]


def number_forms(number):
    """The number and every tail of it long enough to identify someone (7 digits or more)."""
    return {number[start:] for start in range(len(number) - 6)}


def base64_decodings(line):
    """Every base64-looking run in the line, decoded from each of the four possible alignments,
    in the standard and URL-safe alphabets alike."""
    for run in BASE64_RUN.findall(line):
        normalised = run.replace("-", "+").replace("_", "/")
        for start in range(4):
            chunk = normalised[start:]
            chunk = chunk[:len(chunk) - len(chunk) % 4]
            if chunk:
                yield base64.b64decode(chunk)


def assert_no_form_of(numbers, line):
    forms = {form for number in numbers for form in number_forms(number)}
    assert "wamid." not in line
    assert not [form for form in forms if form in line], line
    for decoded in base64_decodings(line):
        assert not [form for form in forms if form.encode() in decoded], (line, decoded)


def assert_each_line_names_its_invocation(invocations):
    request_ids = set()
    for context, lines in invocations.runs:
        assert lines
        for line in lines:
            entry = json.loads(line)
            assert entry["requestId"] == context.aws_request_id, line
            assert entry["function"] == context.function_name, line
        request_ids.add(context.aws_request_id)
    assert len(request_ids) == len(invocations.runs)


def flush(bridge, invocations):
    return invocations.invoke("flush_buffer", {"Records": bridge.stream_records()})


def test_a_conversation_both_ways_logs_no_form_of_the_customers_number(bridge, capsys):
    put_settings({**DEFAULT_SETTINGS, "progress_reactions": "yes",
                  "transcribe_languages": ["en-US", "ru-RU"]})
    invocations = Invocations(capsys)

    received = invocations.invoke("on_whatsapp_event", load_event("eum-text"))
    flushed = flush(bridge, invocations)
    (session,) = [item for item in boto3.resource("dynamodb").Table(SESSIONS_TABLE).scan()["Items"]
                  if "systemNumber" in item]
    reply = json.loads(json.dumps(load_event("connect-agent-text")).replace(
        FIXTURE_CONTACT, session["contactId"]))
    replied = invocations.invoke("on_connect_event", reply)
    voice, _ = voice_note_event(bridge)
    invocations.invoke("on_whatsapp_event", voice)
    flush(bridge, invocations)
    (job,) = bridge.twin.calls_to("transcribe", "StartTranscriptionJob")
    invocations.invoke("on_transcription_job",
                       bridge.twin.transcription_job_event(job["params"]["TranscriptionJobName"]))
    status = invocations.invoke("on_whatsapp_event", load_event("eum-status-failed"))
    noted = flush(bridge, invocations)

    # A Connect error that echoes what it was sent, logged with its traceback.
    bridge.twin.inject_fault("connectparticipant", "SendMessage", "ValidationException",
                             message=f"participant {CUSTOMER_WA_ID} sent {FIRST_WAMID} twice", times=10)
    invocations.invoke("on_whatsapp_event", with_messages(load_event("eum-text"), [
        text_from_customer("wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQxRkFJTFMwMDAwMDAwMDAwMDAA", 1763000400,
                           "are you there?")]))
    failed = flush(bridge, invocations)

    assert_each_line_names_its_invocation(invocations)
    for line in invocations.lines():
        assert_no_form_of([CUSTOMER_WA_ID], line)
        for secret in (session["connectionToken"], session["participantToken"]):
            assert secret not in line
    buffered = next(e for e in received if e["event"] == "whatsapp_message_buffered")
    started = next(e for e in flushed if e["event"] == "chat_started")
    sent = next(e for e in replied if e["event"] == "sent_to_whatsapp")
    assert HASHED_ID.match(buffered["messageId"])
    assert started["messageIds"] == [buffered["messageId"]]  # one message, one hash, every line
    assert HASHED_ID.match(sent["whatsappMessageId"])
    assert started["customer"] == "*******0001"
    failed_status = next(e for e in status if e["event"] == "whatsapp_message_buffered")
    status_note = next(e for e in noted if e["event"] == "delivered_to_chat")
    assert status_note["messageIds"] == [f"{failed_status['messageId']}#failed"]
    (failure,) = [e for e in failed if e["event"] == "conversation_waits"]
    assert failure["conversationId"] == "101996265140636#*******0001"
    assert failure["reason"] == "permanent"
    assert f"participant *******0001 sent {buffered['messageId']} twice" in failure["exception"]


def test_lines_logged_on_the_flushs_worker_threads_carry_its_request_id(bridge, capsys):
    put_settings({**DEFAULT_SETTINGS, "flush_concurrency": 3})
    customers = [f"1555010200{n}" for n in range(3)]
    for n, customer in enumerate(customers):
        bridge.whatsapp(with_messages(load_event("eum-text"), [
            {**text_from_customer(f"wamid.worker{n}", 1763000500 + n, f"hello {n}"), "from": customer}]))
    invocations = Invocations(capsys)

    flushed = flush(bridge, invocations)

    assert len([e for e in flushed if e["event"] == "chat_started"]) == 3
    assert_each_line_names_its_invocation(invocations)
    for line in invocations.lines():
        assert_no_form_of(customers, line)


def test_message_ids_are_hashed_wherever_they_stand_and_bare_numbers_masked(capsys):
    other_wamid = "wamid.HBgLMTU1NTAxMDAwMDIVAgASGBQ3RjI3NEYwRTM4OTM5MTI5MzAxQwA="
    logs.info("example", messageId=FIRST_WAMID, detail={"ids": [FIRST_WAMID, other_wamid]},
              reason=f"no chat for +{CUSTOMER_WA_ID} ({FIRST_WAMID})",
              contactId="12345678-1234-4234-8234-123456789012", customer=15550100001, size=16777216,
              conversationId=f"101996265140636#{CUSTOMER_WA_ID}")

    entry = json.loads(capsys.readouterr().out)
    hashed = entry["messageId"]
    assert HASHED_ID.match(hashed)
    assert entry["detail"]["ids"][0] == hashed
    assert HASHED_ID.match(entry["detail"]["ids"][1]) and entry["detail"]["ids"][1] != hashed
    assert entry["reason"] == f"no chat for ********0001 ({hashed})"
    assert entry["contactId"] == "12345678-1234-4234-8234-123456789012"  # an id Connect minted
    assert entry["customer"] == "*******0001"
    assert entry["size"] == 16777216
    assert entry["conversationId"] == "101996265140636#*******0001"  # the business id stays
    assert "requestId" not in entry and "function" not in entry  # logged outside any invocation


def test_mask_keeps_only_the_last_four_characters():
    assert logs.mask_identifier("15550100001") == "*******0001"
    assert logs.mask_identifier("US.13491208655302741918") == "*******************1918"
    assert logs.mask_identifier("123") == "***"


def test_no_file_name_or_caption_a_person_chose_reaches_a_log_line(bridge, capsys):
    """The refusal's words name the file for the agent and the customer; its log line carries a
    fixed code."""
    invocations = Invocations(capsys)
    invocations.invoke("on_whatsapp_event", load_event("eum-text"))
    flush(bridge, invocations)
    event = load_event("eum-document")
    message = webhook_message(event)
    message["document"].update(filename="john.doe-passport.exe", mime_type="application/x-msdownload",
                               caption="John Doe passport, page 2")
    bridge.twin.register_media(message["document"]["id"], b"MZ" + b"x" * 2046, "application/x-msdownload")
    invocations.invoke("on_whatsapp_event", with_messages(event, [message]))
    refused = flush(bridge, invocations)
    (contact_id,) = bridge.twin.contacts
    sent_back = invocations.invoke("on_connect_event", bridge.twin.agent_attachment_event(
        contact_id, name="john.doe-passport.heic", content_type="image/heic", data=b"heic" * 100))

    for line in invocations.lines():
        assert "john" not in line.lower() and "passport" not in line.lower(), line
        assert ".exe" not in line and ".heic" not in line, line  # not even the extension
    (customer_file,) = [e for e in refused if e["event"] == "attachment_refused"]
    assert customer_file["reason"] == "extension_not_allowed"
    (agent_file,) = [e for e in sent_back if e["event"] == "attachment_not_sent"]
    assert agent_file["reason"] == "type_not_accepted"
    # The people in the chat still read which file it was.
    notes = [i.get("Content", "") for i in bridge.twin.contacts[contact_id]["transcript"]]
    assert any("john.doe-passport.exe" in note and "does not accept .exe files" in note for note in notes)
    assert any(note.startswith("[WhatsApp bridge] ⚠️ john.doe-passport.heic was not sent") for note in notes)


@pytest.fixture
def logger_configured_from(monkeypatch):
    """The logger as a container starting with LOG_LEVEL set to the value given (None: unset)."""
    logger = logging.getLogger(logs.LOGGER_NAME)
    saved = list(logger.handlers), logger.level, logger.propagate

    def configure(value):
        if value is None:
            monkeypatch.delenv("LOG_LEVEL", raising=False)
        else:
            monkeypatch.setenv("LOG_LEVEL", value)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        return logs.get_logger()

    yield configure
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in saved[0]:
        logger.addHandler(handler)
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


@pytest.mark.parametrize("setting, shown", [
    (None, {"INFO"}), ("INFO", {"INFO"}), ("debug", {"DEBUG", "INFO"}), (" DEBUG ", {"DEBUG", "INFO"}),
    ("WARNING", set()),
])
def test_the_stages_log_level_decides_which_lines_are_written(bridge, capsys, logger_configured_from,
                                                              setting, shown):
    logger_configured_from(setting)
    invocations = Invocations(capsys)
    invocations.invoke("on_whatsapp_event", load_event("eum-text"))
    flush(bridge, invocations)

    # A status WhatsApp sends as a matter of course, logged at DEBUG ("sent" is no news to the agent).
    entries = invocations.invoke("on_whatsapp_event", load_event("eum-status-sent-delivered-read"))

    assert {e["level"] for e in entries} == shown
    assert ("status_not_shown_to_agent" in {e["event"] for e in entries}) == ("DEBUG" in shown)


def test_a_log_level_that_names_no_level_logs_at_info_and_says_so(capsys, logger_configured_from):
    logger = logger_configured_from("verbose")

    (line,) = capsys.readouterr().out.splitlines()
    assert logger.level == logging.INFO
    entry = json.loads(line)
    assert (entry["level"], entry["event"]) == ("WARNING", "log_level_invalid")
    assert entry["setting"] == "verbose" and entry["levelUsed"] == "INFO"


def test_only_a_containers_first_invocation_is_a_cold_start(bridge, capsys, monkeypatch):
    monkeypatch.setattr(logs, "_started", itertools.count())  # a container that has run nothing yet
    invocations = Invocations(capsys)

    first = invocations.invoke("on_whatsapp_event", load_event("eum-text"))
    then = flush(bridge, invocations)

    assert first and {e["coldStart"] for e in first} == {True}
    assert then and {e["coldStart"] for e in then} == {False}
