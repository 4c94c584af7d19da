"""Metrics: the CloudWatch embedded metric format lines the functions write to their own logs, as
CloudWatch would read them, from real flows against the twin: namespace, dimensions, values and
units, one line per business number an invocation served, and never a customer's number."""
import json
import logging

import pytest

from chalicelib import logs, metrics
from chalicelib.streaming import absolute_time
from tests.conftest import (
    CUSTOMER_WA_ID, DEFAULT_SETTINGS, load_event, put_settings, text_from_customer, with_messages,
)
from tests.test_logs import assert_no_form_of
from tests.test_outbound import for_contact, texts_sent
from tests.test_start_conversation import request
from tests.test_waiting import connect_full, scheduled_event
from tests.test_window import agent_says, hours_after_customer_wrote

NUMBER = "phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75"  # the reference events' business number
SECOND_NUMBER = "phone-number-id-fb8c857b8024e25056484641ad5a9e55"  # eum-second-number's
PER_NUMBER_AND_ALL = [["PhoneNumberId"], []]


class Lines:
    """Each invocation's stdout, the way CloudWatch Logs receives a function's output."""

    def __init__(self, bridge, capsys):
        self.bridge = bridge
        self.capsys = capsys

    def invoke(self, function_name, event):
        """The EMF documents the invocation wrote; every line it wrote is checked for the
        customer's number in any form."""
        self.capsys.readouterr()
        self.bridge.invoke(function_name, event)
        lines = [line for line in self.capsys.readouterr().out.splitlines() if line.strip()]
        for line in lines:
            assert_no_form_of([CUSTOMER_WA_ID], line)
        return [document for document in map(json.loads, lines) if "_aws" in document]

    def whatsapp(self, event):
        return self.invoke("on_whatsapp_event", event)

    def flush(self):
        return self.invoke("flush_buffer", {"Records": self.bridge.stream_records()})


@pytest.fixture
def lines(bridge, capsys):
    return Lines(bridge, capsys)


def directive(document):
    (found,) = document["_aws"]["CloudWatchMetrics"]
    return found


def values(document):
    """What the line records: each metric's value, by name, with the unit CloudWatch is told."""
    found = directive(document)
    assert found["Namespace"] == "WhatsAppConnectBridge"
    return {m["Name"]: (document[m["Name"]], m["Unit"]) for m in found["Metrics"]}


def now(bridge):
    return bridge.twin.clock.timestamp()


def test_a_customers_first_message_is_one_line_for_its_business_number(bridge, lines):
    written = int(now(bridge)) - 30
    event = with_messages(load_event("eum-text"), [
        text_from_customer("wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQ0NENBMUMxM0RFRjlGQkFFODBBOAA=", written,
                           "Hi, I need help with my order")])

    assert lines.whatsapp(event) == []  # buffering is not yet delivering
    before = now(bridge)
    (document,) = lines.flush()
    after = now(bridge)

    assert directive(document)["Dimensions"] == PER_NUMBER_AND_ALL
    assert document["PhoneNumberId"] == NUMBER
    recorded = values(document)
    assert recorded.keys() == {"InboundMessages", "InboundLatency", "ChatsStarted"}
    assert recorded["InboundMessages"] == (1, "Count")
    assert recorded["ChatsStarted"] == (1, "Count")
    ((latency,), unit) = recorded["InboundLatency"]
    assert unit == "Milliseconds"
    # From WhatsApp's timestamp to the message being in the chat, by the clock the bridge reads.
    assert (before - written) * 1000 - 1 <= latency <= (after - written) * 1000 + 1
    assert document["function"] == "flush_buffer" and document["coldStart"] in (True, False)
    assert isinstance(document["_aws"]["Timestamp"], int)


def test_a_burst_is_one_line_with_a_latency_for_each_message(bridge, lines):
    contact_id = bridge.open_chat()
    written = int(now(bridge)) - 5
    lines.whatsapp(with_messages(load_event("eum-text"), [
        text_from_customer(f"wamid.burst{n}", written + n, f"part {n}") for n in range(3)]))

    (document,) = lines.flush()

    recorded = values(document)
    assert recorded.keys() == {"InboundMessages", "InboundLatency"}  # into the open chat
    assert recorded["InboundMessages"] == (3, "Count")
    latencies, _ = recorded["InboundLatency"]
    assert len(latencies) == 3 and latencies[0] - latencies[2] == 2000  # written 2 s apart
    assert contact_id in bridge.twin.contacts


def test_two_business_numbers_in_one_batch_are_two_lines(bridge, lines):
    lines.whatsapp(load_event("eum-text"))
    lines.whatsapp(load_event("eum-second-number"))

    documents = lines.flush()

    assert sorted(d["PhoneNumberId"] for d in documents) == [NUMBER, SECOND_NUMBER]
    for document in documents:
        assert values(document)["InboundMessages"] == (1, "Count")
        assert values(document)["ChatsStarted"] == (1, "Count")
        assert document["requestId"] == documents[0]["requestId"]  # one invocation


def test_an_agents_reply_accepted_by_whatsapp_counts_with_its_latency_from_absolute_time(bridge, lines):
    contact_id = bridge.open_chat()
    event = bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                content="Your order ships today.")
    taken = absolute_time(json.loads(event["Records"][0]["Sns"]["Message"])["AbsoluteTime"])
    bridge.twin.advance_clock(2)
    before = now(bridge)

    (document,) = lines.invoke("on_connect_event", event)

    after = now(bridge)
    assert document["PhoneNumberId"] == NUMBER
    assert directive(document)["Dimensions"] == PER_NUMBER_AND_ALL
    recorded = values(document)
    assert recorded.keys() == {"OutboundMessages", "OutboundLatency"}
    assert recorded["OutboundMessages"] == (1, "Count")
    ((latency,), unit) = recorded["OutboundLatency"]
    assert unit == "Milliseconds"
    assert (before - taken) * 1000 - 1 <= latency <= (after - taken) * 1000 + 1
    assert latency >= 2000  # the clock moved 2 s between Connect taking it and the send
    assert texts_sent(bridge.twin) == ["Your order ships today."]


def test_a_message_outside_the_window_is_a_refusal_not_a_message(bridge, lines):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 30)

    (document,) = lines.invoke("on_connect_event", for_contact(
        load_event("connect-agent-text"), contact_id, Content="Are you still there?"))

    assert values(document) == {"WindowClosedRefusals": (1, "Count")}
    assert bridge.twin.sent_whatsapp == []


def test_a_template_command_counts_as_a_template_and_a_message(bridge, lines):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 30)

    (document,) = lines.invoke("on_connect_event", for_contact(
        load_event("connect-agent-text"), contact_id, Content="/template welcome_back"))

    recorded = values(document)
    assert recorded["TemplatesSent"] == (1, "Count")
    assert recorded["OutboundMessages"] == (1, "Count")
    assert "WindowClosedRefusals" not in recorded


def test_start_conversation_counts_the_template_it_sent(bridge, lines):
    (document,) = lines.invoke("start_conversation", request())

    assert document["PhoneNumberId"] == NUMBER
    assert values(document) == {"TemplatesSent": (1, "Count")}
    assert document["function"] == "start_conversation"


def test_a_send_whatsapp_refuses_is_a_delivery_failure_the_agent_is_told_of(bridge, lines):
    contact_id = bridge.open_chat()
    bridge.twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "ValidationException",
                             status=400, message="(#131026) Message undeliverable")

    (document,) = lines.invoke("on_connect_event", for_contact(load_event("connect-agent-text"),
                                                               contact_id))

    assert values(document) == {"DeliveryFailures": (1, "Count")}
    (note,) = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert note["params"]["Content"].startswith("[WhatsApp bridge] ⚠️ Not delivered to the customer on WhatsApp")


def test_a_failed_status_told_to_the_agent_is_a_delivery_failure(bridge, lines):
    bridge.open_chat()
    lines.whatsapp(load_event("eum-status-failed"))

    (document,) = lines.flush()

    assert values(document) == {"DeliveryFailures": (1, "Count")}
    assert document["PhoneNumberId"] == NUMBER


def test_the_scheduled_pass_counts_the_waiting_conversations_for_the_whole_bridge(bridge, lines):
    connect_full(bridge)
    lines.whatsapp(load_event("eum-text"))
    assert lines.flush() == []  # waiting is not a failure, nor a message in the chat

    (document,) = lines.invoke("retry_waiting", scheduled_event())

    assert directive(document)["Dimensions"] == [[]]  # every number's waits share Connect's chats
    assert "PhoneNumberId" not in document
    assert values(document) == {"WaitingConversations": (1, "Count")}


def test_a_wait_given_up_counts_each_dropped_message(bridge, lines):
    put_settings({**DEFAULT_SETTINGS, "busy_max_wait_minutes": 1})
    connect_full(bridge)
    lines.whatsapp(with_messages(load_event("eum-text"), [
        text_from_customer(f"wamid.dropped{n}", int(now(bridge)) + n, f"hello {n}") for n in range(2)]))
    lines.flush()
    bridge.twin.advance_clock(61)
    lines.invoke("retry_waiting", scheduled_event())

    (document,) = lines.flush()

    assert values(document) == {"DeliveryFailures": (2, "Count")}


def test_a_handler_that_raises_still_writes_what_it_recorded(capsys):
    class Context:
        aws_request_id = "4f3c5a9e-0000-4000-8000-000000000001"
        function_name = "whatsapp-connect-chat-dev-on_connect_event"

    with pytest.raises(RuntimeError), logs.invocation(Context(), "on_connect_event"):
        metrics.count(metrics.OUTBOUND_MESSAGES, f"arn:aws:social-messaging:us-east-1:123456789012:"
                                                 f"phone-number-id/{NUMBER.rsplit('-', 1)[1]}")
        raise RuntimeError("Connect went away")

    (document,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert values(document) == {"OutboundMessages": (1, "Count")}
    assert document["PhoneNumberId"] == NUMBER
    assert document["requestId"] == Context.aws_request_id


def test_more_than_a_hundred_latencies_take_further_lines():
    recorded = metrics.Recorded(values={(NUMBER, "InboundLatency"): list(range(250))},
                                counts={(NUMBER, "InboundMessages"): 250})

    documents = metrics.documents(recorded, 1763000000000, {})

    assert [len(d["InboundLatency"]) for d in documents] == [100, 100, 50]
    assert [d.get("InboundMessages") for d in documents] == [250, None, None]  # counted once


def test_the_lines_go_to_their_own_logger_whatever_the_log_level(bridge, lines, monkeypatch):
    """The sandbox's panel reads them from `whatsapp_connect_chat.metrics`; a stage logging only
    errors still has its metrics."""
    monkeypatch.setattr(logs.get_logger(), "level", logging.ERROR)
    seen = []

    class Reader(logging.Handler):
        def emit(self, record):
            seen.append(json.loads(record.getMessage()))

    reader = Reader()
    logging.getLogger("whatsapp_connect_chat.metrics").addHandler(reader)
    try:
        lines.whatsapp(load_event("eum-text"))
        (document,) = lines.flush()
    finally:
        logging.getLogger("whatsapp_connect_chat.metrics").removeHandler(reader)

    assert seen == [document]
    assert values(document)["InboundMessages"] == (1, "Count")


@pytest.mark.parametrize("origination_id, dimension", [
    (f"arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/{NUMBER[16:]}", NUMBER),
    (NUMBER, NUMBER),
    (f"+{CUSTOMER_WA_ID}", "unknown"),  # never a number, whatever a caller passes
    ("", "unknown"),
])
def test_the_dimension_is_end_user_messaging_socials_id_of_the_number(origination_id, dimension):
    assert metrics.phone_number_id(origination_id) == dimension


def test_an_agents_file_whatsapp_cannot_take_is_a_delivery_failure(bridge, lines):
    contact_id = bridge.open_chat()

    (document,) = lines.invoke("on_connect_event", bridge.twin.agent_attachment_event(
        contact_id, name="plan.heic", content_type="image/heic", data=b"heic" * 100))

    assert values(document) == {"DeliveryFailures": (1, "Count")}
    assert bridge.twin.sent_whatsapp == []
