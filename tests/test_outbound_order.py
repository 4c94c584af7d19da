"""What the agent or a bot says reaches the customer in the order Connect took it, whatever order
SNS delivers the events in (chalicelib/ordering.py)."""
import contextlib
import json
import threading

import boto3
from chalice.test import LambdaContext

from chalicelib import agent_receipts, window
from tests.conftest import SESSIONS_TABLE, load_event
from tests.crash.flows import FIRST_TEXT_WRITTEN_AT
from tests.test_outbound import messages_sent

INTERACTIVE = "application/vnd.amazonaws.connect.message.interactive"
GREETING = "Hi, I'm the order assistant."
LIST_PICKER = json.loads(load_event("connect-interactive-listpicker")["Records"][0]["Sns"]["Message"])["Content"]
LIST_BODY = "How can we help you today?\nTap to select an option"
FOLLOW_UP = "Or type your question and an agent will answer."
# What the customer reads of the three, in Connect's order.
READ_IN_ORDER = [("text", GREETING), ("interactive", "list", LIST_BODY), ("text", FOLLOW_UP)]


def bot_says(bridge, contact_id, content, content_type="text/plain", visibility="ALL"):
    return bridge.twin.connect_streaming_event(
        contact_id, participant_role="SYSTEM", display_name="BOT", content=content,
        content_type=content_type, visibility=visibility)


def bot_burst(bridge, contact_id):
    """A flow's greeting, its list and a follow-up, taken by Connect in that order."""
    return (bot_says(bridge, contact_id, GREETING),
            bot_says(bridge, contact_id, LIST_PICKER, INTERACTIVE),
            bot_says(bridge, contact_id, FOLLOW_UP))


def message_id(event):
    return json.loads(event["Records"][0]["Sns"]["Message"])["Id"]


def read_by_customer(twin):
    """The customer's WhatsApp messages as they appear: texts, and lists by their body."""
    shown = []
    for sent in messages_sent(twin):
        message = sent["message"]
        if message["type"] == "interactive":
            shown.append(("interactive", message["interactive"]["type"],
                          message["interactive"]["body"]["text"]))
        else:
            shown.append((message["type"], message["text"]["body"]))
    return shown


def carried(twin):
    """The Connect message each WhatsApp message carries (its callback data)."""
    return [sent["message"]["biz_opaque_callback_data"] for sent in messages_sent(twin)]


def calls(twin):
    return [(c["service"], c["operation"]) for c in twin.calls]


def handled_at_once(bridge, events):
    """Each event on a thread of its own, all started together, as Lambda runs the SNS deliveries
    of a burst side by side; what they raised (Lambda would retry those). The threads share the
    function's one container (its boto3 clients are thread-safe) and call its handler as Lambda
    does: the test client's invoke swaps the process's environment per call, which threads
    cannot share."""
    import app as app_module

    handler = app_module.app.handler_map["on_connect_event"]
    start = threading.Barrier(len(events))
    raised = []

    def handle(event):
        start.wait()
        try:
            handler(event, LambdaContext("on_connect_event", memory_size=1024))
        except Exception as error:
            raised.append(error)

    threads = [threading.Thread(target=handle, args=(event,)) for event in events]
    # The function's own container (its clients, signing as its role) where the Bridge keeps one.
    container = getattr(bridge, "_container", None)
    with container("on_connect_event") if container else contextlib.nullcontext():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return raised


def test_a_bots_three_messages_delivered_third_first_second_reach_the_customer_in_connects_order(bridge):
    contact_id = bridge.open_chat()
    greeting, picker, follow_up = bot_burst(bridge, contact_id)

    bridge.connect_event(follow_up)

    assert read_by_customer(bridge.twin) == READ_IN_ORDER
    assert carried(bridge.twin) == [agent_receipts.callback_data(contact_id, message_id(event))
                                    for event in (greeting, picker, follow_up)]
    claim = complete = ("dynamodb", "UpdateItem")
    send = ("socialmessaging", "SendWhatsAppMessage")
    observed = calls(bridge.twin)
    # The greeting's completion and the blue ticks (replying is reading) go out together.
    assert observed[:4] + sorted(observed[4:6]) + observed[6:] == [
        claim, ("connectparticipant", "GetTranscript"),
        claim, send, *sorted([complete, send]),  # the greeting
        claim, send, complete,  # the list
        ("dynamodb", "GetItem"), send, complete]  # the follow-up, on the session as they left it

    bridge.twin.clear_calls()
    bridge.connect_event(greeting)
    bridge.connect_event(picker)

    assert read_by_customer(bridge.twin) == READ_IN_ORDER
    # Sent already: each stops at its claim, and reads no transcript.
    assert calls(bridge.twin) == [claim, claim]


def test_a_redelivery_of_any_of_them_sends_nothing_more(bridge):
    contact_id = bridge.open_chat()
    events = bot_burst(bridge, contact_id)
    for event in (events[1], events[0], events[2]):
        bridge.connect_event(event)
    assert read_by_customer(bridge.twin) == READ_IN_ORDER

    bridge.twin.clear_calls()
    for event in events + events:
        bridge.connect_event(event)

    assert read_by_customer(bridge.twin) == READ_IN_ORDER
    assert bridge.twin.calls_to("connectparticipant", "GetTranscript") == []


def test_events_handled_at_once_still_reach_the_customer_in_order_and_once(bridge):
    contact_id = bridge.open_chat()
    greeting, picker, follow_up = bot_burst(bridge, contact_id)
    bridge.connect_event(greeting)

    assert handled_at_once(bridge, [follow_up, picker]) == []
    assert read_by_customer(bridge.twin) == READ_IN_ORDER
    assert carried(bridge.twin) == [agent_receipts.callback_data(contact_id, message_id(event))
                                    for event in (greeting, picker, follow_up)]


def test_all_three_at_once_in_any_order_each_once(bridge):
    contact_id = bridge.open_chat()
    greeting, picker, follow_up = bot_burst(bridge, contact_id)

    assert handled_at_once(bridge, [follow_up, greeting, picker]) == []
    assert read_by_customer(bridge.twin) == READ_IN_ORDER


def test_an_agent_only_message_in_between_is_not_sent(bridge):
    contact_id = bridge.open_chat()
    greeting = bot_says(bridge, contact_id, GREETING)
    bot_says(bridge, contact_id, "Customer verified by the flow", visibility="AGENT")
    follow_up = bot_says(bridge, contact_id, FOLLOW_UP)

    bridge.connect_event(follow_up)

    assert read_by_customer(bridge.twin) == [("text", GREETING), ("text", FOLLOW_UP)]
    bridge.connect_event(greeting)
    assert read_by_customer(bridge.twin) == [("text", GREETING), ("text", FOLLOW_UP)]


def test_events_and_the_customers_own_messages_are_not_sent_ahead(bridge):
    contact_id = bridge.open_chat()
    greeting = bot_says(bridge, contact_id, GREETING)
    bridge.twin.agent_typing(contact_id)
    bridge.twin.join_participant(contact_id)
    follow_up = bot_says(bridge, contact_id, FOLLOW_UP)

    bridge.connect_event(follow_up)

    assert read_by_customer(bridge.twin) == [("text", GREETING), ("text", FOLLOW_UP)]
    assert carried(bridge.twin)[0] == agent_receipts.callback_data(contact_id, message_id(greeting))


def test_a_message_connect_took_before_the_session_was_stored_is_not_sent_late(bridge):
    """Its event found no session and was dropped; a later message does not bring it back."""
    contact_id = bridge.open_chat()
    bot_says(bridge, contact_id, GREETING)
    # The session was stored after Connect took the greeting.
    boto3.resource("dynamodb").Table(SESSIONS_TABLE).update_item(
        Key={"contactId": contact_id}, UpdateExpression="SET createdAt = :later",
        ExpressionAttributeValues={":later": int(bridge.twin.clock.timestamp()) + 5})
    follow_up = bot_says(bridge, contact_id, FOLLOW_UP)

    bridge.connect_event(follow_up)

    assert read_by_customer(bridge.twin) == [("text", FOLLOW_UP)]


def test_a_long_chat_is_read_back_page_by_page_until_the_earlier_message(bridge):
    contact_id = bridge.open_chat()
    greeting = bot_says(bridge, contact_id, GREETING)
    for _ in range(150):  # more items than a page holds
        bridge.twin.agent_typing(contact_id)
    follow_up = bot_says(bridge, contact_id, FOLLOW_UP)

    bridge.connect_event(follow_up)

    assert read_by_customer(bridge.twin) == [("text", GREETING), ("text", FOLLOW_UP)]
    first, second = bridge.twin.calls_to("connectparticipant", "GetTranscript")
    assert (first["params"]["MaxResults"], first["params"]["SortOrder"]) == (100, "DESCENDING")
    assert "NextToken" not in first["params"] and second["params"]["NextToken"]

    # Once the greeting is sent, a reply stops there: one page.
    bridge.twin.clear_calls()
    reply = bot_says(bridge, contact_id, "Anything else?")
    bridge.connect_event(reply)
    assert len(bridge.twin.calls_to("connectparticipant", "GetTranscript")) == 1
    bridge.connect_event(greeting)
    assert [text for kind, text in read_by_customer(bridge.twin)] == [GREETING, FOLLOW_UP,
                                                                      "Anything else?"]


def test_earlier_messages_outside_the_window_follow_the_windows_rules(bridge):
    """Each as if it had arrived itself: the first tells the agent the window closed, with the
    templates; the next one only reminds."""
    contact_id = bridge.open_chat()
    bridge.twin.advance_clock(FIRST_TEXT_WRITTEN_AT + 25 * 3600 - bridge.twin.clock.timestamp())
    first = bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                content="Are you still there?")
    second = bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                 content="I'll close this chat then.")

    bridge.connect_event(second)
    bridge.connect_event(first)

    assert messages_sent(bridge.twin) == []
    notes = [c["params"]["Content"] for c in bridge.twin.calls_to("connectparticipant", "SendMessage")]
    assert len(notes) == 2
    assert notes[0].startswith(window.closed_note(FIRST_TEXT_WRITTEN_AT, "").split("\n")[0])
    assert "Approved templates:" in notes[0]
    assert notes[1] == window.closed_reminder(FIRST_TEXT_WRITTEN_AT)
