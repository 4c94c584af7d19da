"""Blue ticks when the agent reads, typing shown on WhatsApp, and WhatsApp's delivered and read
statuses shown to the agent as Connect receipts."""
import json

import boto3
import pytest

import app as app_module
from tests.conftest import (
    DEFAULT_SETTINGS, PHONE_NUMBER_ARN, SESSIONS_TABLE, load_event, put_settings,
    text_from_customer, with_messages,
)
from emulator.reference_events import status_of_sent
from tests.crash.clock import MovableClock
from tests.test_outbound import for_contact, open_chat

FIRST_WAMID = "wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQ0NENBMUMxM0RFRjlGQkFFODBBOAA="
READ = "application/vnd.amazonaws.connect.event.message.read"
DELIVERED = "application/vnd.amazonaws.connect.event.message.delivered"


@pytest.fixture
def clock():
    moving = MovableClock()
    undo = moving.install(app_module)
    yield moving
    undo()


def session(contact_id):
    return boto3.resource("dynamodb").Table(SESSIONS_TABLE).get_item(Key={"contactId": contact_id})["Item"]


def read_receipts(twin):
    return [s["message"] for s in twin.sent_whatsapp
            if s["message"].get("status") == "read" and "typing_indicator" not in s["message"]]


def second_message(bridge, contact_id, wamid="wamid.second", text="Are you there?"):
    """A customer's message into the open chat; its Connect chat message id."""
    bridge.whatsapp(with_messages(load_event("eum-text"), [text_from_customer(wamid, 1762956100, text)]))
    bridge.flush()
    return bridge.twin.contacts[contact_id]["transcript"][-1]["Id"]


def agent_read_event(contact_id, message_id):
    return for_contact(load_event("connect-agent-read-receipt"), contact_id,
                       Content=json.dumps({"messageId": message_id}))


def test_the_agents_read_receipt_marks_the_message_it_names_read_on_whatsapp(bridge):
    contact_id = open_chat(bridge)
    chat_message = second_message(bridge, contact_id)
    assert read_receipts(bridge.twin) == []
    bridge.twin.clear_calls()

    bridge.connect_event(agent_read_event(contact_id, chat_message))

    assert read_receipts(bridge.twin) == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.second"}]
    assert bridge.twin.sent_whatsapp[-1]["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert "unreadMessageId" not in session(contact_id)


def test_the_websocket_form_of_the_receipt_counts_too(bridge):
    contact_id = open_chat(bridge)
    chat_message = second_message(bridge, contact_id)
    event = for_contact(load_event("connect-agent-read-receipt"), contact_id, Type="MESSAGEMETADATA",
                        MessageMetadata={"MessageId": chat_message, "Receipts": [
                            {"ReadTimestamp": "2025-11-12T14:02:51.118Z",
                             "RecipientParticipantId": "471a0798-ad9f-4f8b-9f2b-73a96e0be619"}]})

    bridge.connect_event(event)

    assert [r["message_id"] for r in read_receipts(bridge.twin)] == ["wamid.second"]


def opening_echo(bridge, contact_id):
    opening = bridge.twin.contacts[contact_id]["transcript"][0]
    return opening, for_contact(load_event("connect-customer-echo"), contact_id, Id=opening["Id"],
                                Content=opening["Content"])


def test_a_read_receipt_for_a_message_the_bridge_does_not_know_marks_nothing(bridge):
    contact_id = open_chat(bridge)
    bridge.connect_event(opening_echo(bridge, contact_id)[1])
    second_message(bridge, contact_id)

    bridge.connect_event(agent_read_event(contact_id, "not-a-chat-message"))

    assert read_receipts(bridge.twin) == []
    assert session(contact_id)["unreadMessageId"] == "wamid.second"


def test_an_opening_message_whose_echo_came_too_early_is_learned_from_the_agents_receipt(bridge):
    """Connect streams the opening message as soon as the chat starts; when that echo reaches
    on_connect_event before the flush stored the session, it finds no chat and is lost."""
    contact_id = open_chat(bridge)
    opening, _ = opening_echo(bridge, contact_id)

    bridge.connect_event(agent_read_event(contact_id, opening["Id"]))

    assert [r["message_id"] for r in read_receipts(bridge.twin)] == [FIRST_WAMID]
    assert session(contact_id)["customerMessages"] == {opening["Id"]: FIRST_WAMID}
    assert "openingMessageId" not in session(contact_id)


def test_a_new_chats_first_message_is_learned_from_connects_echo(bridge):
    bridge.deliver(load_event("eum-text"))
    (contact_id,) = bridge.twin.contacts
    opening, echo = opening_echo(bridge, contact_id)

    bridge.connect_event(echo)
    bridge.connect_event(echo)  # a later echo finds nothing left to learn
    bridge.connect_event(agent_read_event(contact_id, opening["Id"]))

    assert session(contact_id)["customerMessages"] == {opening["Id"]: FIRST_WAMID}
    assert "openingMessageId" not in session(contact_id)
    assert [r["message_id"] for r in read_receipts(bridge.twin)] == [FIRST_WAMID]


def test_the_agents_reply_marks_what_came_before_read_after_the_send(bridge):
    contact_id = open_chat(bridge)
    second_message(bridge, contact_id)
    bridge.twin.clear_calls()

    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))

    assert [(c["service"], c["operation"]) for c in bridge.twin.calls] == [
        ("dynamodb", "UpdateItem"), ("socialmessaging", "SendWhatsAppMessage"),
        ("dynamodb", "UpdateItem"), ("socialmessaging", "SendWhatsAppMessage")]
    reply, receipt = [s["message"] for s in bridge.twin.sent_whatsapp]
    assert reply["type"] == "text"
    assert receipt == {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.second"}
    assert "unreadMessageId" not in session(contact_id)
    # Nothing is unread any more: the next reply costs no receipt.
    bridge.twin.sent_whatsapp.clear()
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id, Id="another-reply"))
    assert [s["message"]["type"] for s in bridge.twin.sent_whatsapp] == ["text"]


def test_typing_shows_whatsapps_indicator_at_most_every_20_seconds_and_never_after_the_chat(bridge, clock):
    contact_id = open_chat(bridge)
    second_message(bridge, contact_id)
    typing = for_contact(load_event("connect-typing-agent"), contact_id)
    indicator = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.second",
                 "typing_indicator": {"type": "text"}}

    bridge.connect_event(typing)
    clock.advance(10)
    bridge.connect_event(typing)
    assert [s["message"] for s in bridge.twin.sent_whatsapp] == [indicator]
    assert "unreadMessageId" not in session(contact_id)  # the indicator marks it read

    clock.advance(11)
    bridge.connect_event(typing)
    assert [s["message"] for s in bridge.twin.sent_whatsapp] == [indicator, indicator]

    bridge.connect_event(bridge.twin.end_chat(contact_id))
    clock.advance(30)
    bridge.connect_event(typing)
    assert len(bridge.twin.sent_whatsapp) == 2


def test_no_ticks_and_no_typing_when_mark_as_read_is_no(bridge):
    put_settings({**DEFAULT_SETTINGS, "mark_as_read": "no"})
    contact_id = open_chat(bridge)
    chat_message = second_message(bridge, contact_id)

    bridge.connect_event(for_contact(load_event("connect-typing-agent"), contact_id))
    bridge.connect_event(agent_read_event(contact_id, chat_message))

    assert bridge.twin.sent_whatsapp == []


def test_whatsapps_delivered_and_read_statuses_become_the_agents_receipts(bridge):
    contact_id = open_chat(bridge)
    # A message in the chat's transcript, which Connect checks a receipt against.
    reply = bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                content="Your parcel left the depot today.")
    connect_message_id = json.loads(reply["Records"][0]["Sns"]["Message"])["Id"]
    bridge.connect_event(reply)
    sent, _ = bridge.twin.sent_whatsapp  # the reply, then the blue ticks for the customer's text
    assert sent["message"]["biz_opaque_callback_data"] == f"{contact_id}|{connect_message_id}"
    bridge.twin.clear_calls()

    bridge.whatsapp(status_of_sent(sent, "delivered"))
    bridge.whatsapp(status_of_sent(sent, "read"))

    events = bridge.twin.calls_to("connectparticipant", "SendEvent")
    assert [(e["params"]["ContentType"], json.loads(e["params"]["Content"])) for e in events] == [
        (DELIVERED, {"messageId": connect_message_id}), (READ, {"messageId": connect_message_id})]
    assert all(e["params"]["ClientToken"] for e in events)
    # Statuses are not buffered: nothing reaches the flush.
    assert bridge.twin.calls_to("dynamodb", "PutItem") == []


def test_a_receipt_connect_refuses_for_a_crowded_chat_is_dropped_quietly(bridge):
    contact_id = open_chat(bridge)
    reply = bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                content="Let me ask my supervisor.")
    bridge.connect_event(reply)
    sent = bridge.twin.sent_whatsapp[0]
    bridge.twin.join_participant(contact_id, "AGENT")
    bridge.twin.join_participant(contact_id, "SUPERVISOR")  # three active: no receipts
    bridge.twin.clear_calls()

    bridge.whatsapp(status_of_sent(sent, "read"))  # returns: nothing to retry

    (refused,) = bridge.twin.calls_to("connectparticipant", "SendEvent")
    assert refused["error"] == "ConflictException"


def test_a_status_for_a_message_the_bridge_did_not_send_is_dropped(bridge):
    open_chat(bridge)
    sent = {"messageId": "wamid.not-ours", "message": {"biz_opaque_callback_data": None}}

    bridge.whatsapp(status_of_sent(sent, "read"))

    assert bridge.twin.calls == [c for c in bridge.twin.calls if c["service"] == "ssm"]
