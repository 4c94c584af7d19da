"""Blue ticks when the agent reads, typing shown on WhatsApp, and WhatsApp's delivered and read
statuses shown to the agent as Connect receipts."""
import json

import boto3
import pytest

import app as app_module
from chalicelib import sessions
from chalicelib.tables import Table
from tests.conftest import (
    CUSTOMER_WA_ID, DEFAULT_SETTINGS, PHONE_NUMBER_ARN, SESSIONS_TABLE, load_event, put_settings,
    sns_message, text_from_customer, with_messages,
)
from emulator.reference_events import status_of_sent
from tests.crash.clock import MovableClock
from tests.test_outbound import for_contact

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


def agent_receipts(twin, contact_id):
    """The receipts the agent sees on their messages: Connect message id -> Delivered / Read."""
    customer = twin.contacts[contact_id]["participant_id"]
    shown = {}
    for item in twin.contacts[contact_id]["transcript"]:
        for receipt in (item.get("MessageMetadata") or {}).get("Receipts", []):
            if receipt["RecipientParticipantId"] == customer:
                shown[item["Id"]] = {kind for kind in ("Delivered", "Read") if receipt.get(f"{kind}Timestamp")}
    return shown


def agent_read_event(contact_id, message_id):
    return for_contact(load_event("connect-agent-read-receipt"), contact_id,
                       Content=json.dumps({"messageId": message_id}))


def test_the_agents_read_receipt_marks_the_message_it_names_read_on_whatsapp(bridge):
    contact_id = bridge.open_chat()
    chat_message = second_message(bridge, contact_id)
    assert read_receipts(bridge.twin) == []
    bridge.twin.clear_calls()

    bridge.connect_event(agent_read_event(contact_id, chat_message))

    assert read_receipts(bridge.twin) == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.second"}]
    assert bridge.twin.sent_whatsapp[-1]["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert "unreadMessageId" not in session(contact_id)


def test_the_websocket_form_of_the_receipt_counts_too(bridge):
    contact_id = bridge.open_chat()
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
    contact_id = bridge.open_chat()
    bridge.connect_event(opening_echo(bridge, contact_id)[1])
    second_message(bridge, contact_id)

    bridge.connect_event(agent_read_event(contact_id, "not-a-chat-message"))

    assert read_receipts(bridge.twin) == []
    assert session(contact_id)["unreadMessageId"] == "wamid.second"


def test_an_opening_message_whose_echo_came_too_early_is_learned_from_the_agents_receipt(bridge):
    """Connect streams the opening message as soon as the chat starts; when that echo reaches
    on_connect_event before the flush stored the session, it finds no chat and is lost."""
    contact_id = bridge.open_chat()
    opening, _ = opening_echo(bridge, contact_id)

    bridge.connect_event(agent_read_event(contact_id, opening["Id"]))

    assert [r["message_id"] for r in read_receipts(bridge.twin)] == [FIRST_WAMID]
    assert session(contact_id)["customerMessages"] == {opening["Id"]: FIRST_WAMID}
    assert "openingMessageId" not in session(contact_id)


def test_a_receipt_that_races_the_opening_messages_echo_still_marks_it_read(bridge, monkeypatch):
    """The receipt read the session just before the echo named the opening message: the echo's
    write wins, and the receipt reads what the echo named."""
    bridge.deliver(load_event("eum-text"))
    (contact_id,) = bridge.twin.contacts
    opening, _ = opening_echo(bridge, contact_id)
    table = Table(boto3.client("dynamodb"), SESSIONS_TABLE)
    read_session = sessions.get

    def read_then_echo_lands(*args):
        found = read_session(*args)
        monkeypatch.setattr(sessions, "get", read_session)
        assert sessions.learn_opening_message(table, contact_id, opening["Id"])
        return found

    monkeypatch.setattr(sessions, "get", read_then_echo_lands)
    bridge.connect_event(agent_read_event(contact_id, opening["Id"]))

    assert [r["message_id"] for r in read_receipts(bridge.twin)] == [FIRST_WAMID]


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
    contact_id = bridge.open_chat()
    second_message(bridge, contact_id)
    bridge.twin.clear_calls()

    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))

    calls = [(c["service"], c["operation"]) for c in bridge.twin.calls]
    assert calls[:3] == [("dynamodb", "UpdateItem"), ("connectparticipant", "GetTranscript"),
                         ("socialmessaging", "SendWhatsAppMessage")]
    # The receipt and the completion go out together, once the reply is sent.
    assert sorted(calls[3:]) == [("dynamodb", "UpdateItem"), ("socialmessaging", "SendWhatsAppMessage")]
    reply, receipt = [s["message"] for s in bridge.twin.sent_whatsapp]
    assert reply["type"] == "text"
    assert receipt == {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.second"}
    assert "unreadMessageId" not in session(contact_id)
    # Nothing is unread any more: the next reply costs no receipt.
    bridge.twin.sent_whatsapp.clear()
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id, Id="another-reply"))
    assert [s["message"]["type"] for s in bridge.twin.sent_whatsapp] == ["text"]


def test_typing_shows_whatsapps_indicator_at_most_every_20_seconds_and_never_after_the_chat(bridge, clock):
    contact_id = bridge.open_chat()
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
    contact_id = bridge.open_chat()
    chat_message = second_message(bridge, contact_id)

    bridge.connect_event(for_contact(load_event("connect-typing-agent"), contact_id))
    bridge.connect_event(agent_read_event(contact_id, chat_message))

    assert bridge.twin.sent_whatsapp == []


# The receipts' undocumented ground, each taken away in turn (emulator/undocumented.py).
RECEIPT_MODES = {
    "documented": {},
    "no-callback-data-in-statuses": {"callback_data_echo": False},
    "returned-id-is-not-the-wamid": {"message_id_is_wamid": False},
}


@pytest.mark.parametrize("undocumented", RECEIPT_MODES.values(), ids=RECEIPT_MODES)
def test_whatsapps_delivered_and_read_statuses_become_the_agents_receipts(bridge, undocumented):
    bridge.twin.set_undocumented(**undocumented)
    contact_id = bridge.open_chat()
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
    # What the agent sees: the reply marked delivered and read.
    assert agent_receipts(bridge.twin, contact_id) == {connect_message_id: {"Delivered", "Read"}}
    # Statuses are not buffered: nothing reaches the flush.
    assert bridge.twin.calls_to("dynamodb", "PutItem") == []


def test_a_receipt_connect_refuses_for_a_crowded_chat_is_dropped_quietly(bridge):
    contact_id = bridge.open_chat()
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
    bridge.open_chat()
    sent = {"messageId": "wamid.not-ours", "message": {"to": CUSTOMER_WA_ID}}

    bridge.whatsapp(status_of_sent(sent, "read"))

    # Looked up in the customer's open chat (the conversation, then its session), not found:
    # nothing is written, nothing reaches the agent.
    assert [(c["service"], c["operation"]) for c in bridge.twin.calls if c["service"] != "ssm"] == [
        ("dynamodb", "GetItem"), ("dynamodb", "GetItem")]


def agent_reply(bridge, contact_id, content="Your parcel left the depot today."):
    """The agent's reply, sent to WhatsApp: its Connect message id and the sends it became."""
    reply = bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT", content=content)
    before = len(bridge.twin.sent_whatsapp)
    bridge.connect_event(reply)
    sends = [s for s in bridge.twin.sent_whatsapp[before:] if s["message"].get("type") == "text"]
    return json.loads(reply["Records"][0]["Sns"]["Message"])["Id"], sends


def streamed_receipt(bridge, contact_id, chat_message):
    """The agent reads the customer's message; what Connect streams of it, if anything, reaches
    the bridge."""
    event = bridge.twin.agent_read_receipt(contact_id, chat_message)
    if event is not None:
        bridge.connect_event(event)


def probe_results(capsys):
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [(line["behaviour"], line["holds"]) for line in lines if line.get("event") == "probe_result"]


def test_without_callback_data_or_the_returned_id_no_status_reaches_the_agent_and_nothing_fails(bridge):
    """Both undocumented grounds gone: nothing names the message a status is about."""
    bridge.twin.set_undocumented(callback_data_echo=False, message_id_is_wamid=False)
    contact_id = bridge.open_chat()
    _, (sent,) = agent_reply(bridge, contact_id)

    bridge.whatsapp(status_of_sent(sent, "delivered"))
    bridge.whatsapp(status_of_sent(sent, "read"))

    assert agent_receipts(bridge.twin, contact_id) == {}


@pytest.mark.parametrize("undocumented", RECEIPT_MODES.values(), ids=RECEIPT_MODES)
def test_every_part_of_a_split_text_gets_its_receipt(bridge, undocumented):
    bridge.twin.set_undocumented(**undocumented)
    contact_id = bridge.open_chat()
    connect_message_id, parts = agent_reply(bridge, contact_id, "first " * 600 + "\n\n" + "second " * 500)
    assert len(parts) == 2
    bridge.twin.clear_calls()

    for part in parts:
        bridge.whatsapp(status_of_sent(part, "delivered"))

    events = bridge.twin.calls_to("connectparticipant", "SendEvent")
    assert [json.loads(e["params"]["Content"]) for e in events] == [{"messageId": connect_message_id}] * 2
    assert agent_receipts(bridge.twin, contact_id) == {connect_message_id: {"Delivered"}}


@pytest.mark.parametrize("undocumented", RECEIPT_MODES.values(), ids=RECEIPT_MODES)
def test_a_customers_reaction_and_quoted_reply_name_the_agents_message(bridge, undocumented):
    """The customer's phone names the message by Meta's id for it, which a delivered status
    tells when SendWhatsAppMessage returned another."""
    bridge.twin.set_undocumented(**undocumented)
    contact_id = bridge.open_chat()
    _, (sent,) = agent_reply(bridge, contact_id, "Your parcel left the depot today.")
    bridge.whatsapp(status_of_sent(sent, "delivered"))
    bridge.whatsapp(status_of_sent(sent, "read"))
    reaction = {"from": CUSTOMER_WA_ID, "id": "wamid.reaction", "timestamp": "1763200000",
                "type": "reaction", "reaction": {"message_id": sent["wamid"], "emoji": "👍"}}
    quoted = {**text_from_customer("wamid.quoted", 1763200001, "Great, thanks"),
              "context": {"from": "15550100100", "id": sent["wamid"]}}

    bridge.deliver(with_messages(load_event("eum-text"), [reaction, quoted]))

    assert bridge.twin.contacts[contact_id]["transcript"][-1]["Content"] == (
        'Reacted 👍 to: "Your parcel left the depot today."\n'
        '↩ Replying to: "Your parcel left the depot today."\nGreat, thanks')


def test_a_status_without_callback_data_naming_the_number_finds_the_chat_kept_under_the_username(bridge):
    """The chat opened under the number moved to the customer's business-scoped user id; Meta's
    status for a message sent to the number names the number alone."""
    bridge.twin.set_undocumented(callback_data_echo=False)
    contact_id = bridge.open_chat()
    bridge.deliver(load_event("eum-text-username-and-number"))  # the chat moves to the user id
    connect_message_id, (sent,) = agent_reply(bridge, contact_id)
    assert "recipient_user_id" not in status_item(status_of_sent(sent, "read"))

    bridge.whatsapp(status_of_sent(sent, "read"))

    assert agent_receipts(bridge.twin, contact_id) == {connect_message_id: {"Read"}}


def status_item(event):
    (item,) = json.loads(sns_message(event)["whatsAppWebhookEntry"])["changes"][0]["value"]["statuses"]
    return item


def test_the_probes_say_once_what_statuses_show(bridge, capsys):
    contact_id = bridge.open_chat()
    _, (sent,) = agent_reply(bridge, contact_id)
    capsys.readouterr()

    for status in ("delivered", "read"):
        bridge.whatsapp(status_of_sent(sent, status))

    assert probe_results(capsys) == [("callback_data_echoed", True), ("message_id_is_wamid", True)]


def test_the_probes_say_when_statuses_come_without_callback_data(bridge, capsys):
    bridge.twin.set_undocumented(callback_data_echo=False)
    contact_id = bridge.open_chat()
    _, (sent,) = agent_reply(bridge, contact_id)
    capsys.readouterr()

    for status in ("delivered", "read"):
        bridge.whatsapp(status_of_sent(sent, status))

    assert probe_results(capsys) == [("callback_data_echoed", False), ("message_id_is_wamid", True)]


def test_the_probes_say_when_statuses_name_another_id_than_the_one_returned(bridge, capsys):
    bridge.twin.set_undocumented(message_id_is_wamid=False)
    contact_id = bridge.open_chat()
    _, (sent,) = agent_reply(bridge, contact_id)
    capsys.readouterr()

    for status in ("delivered", "read"):
        bridge.whatsapp(status_of_sent(sent, status))

    assert probe_results(capsys) == [("callback_data_echoed", True), ("message_id_is_wamid", False)]


READ_MODES = {"receipts-streamed": True, "no-receipts-streamed": False}


@pytest.mark.parametrize("streamed", READ_MODES.values(), ids=READ_MODES)
def test_blue_ticks_come_from_the_agents_reading_when_streamed_and_from_the_reply_always(bridge, streamed):
    bridge.twin.set_undocumented(read_receipts_streamed=streamed)
    contact_id = bridge.open_chat()
    chat_message = second_message(bridge, contact_id)

    streamed_receipt(bridge, contact_id, chat_message)
    assert [r["message_id"] for r in read_receipts(bridge.twin)] == (["wamid.second"] if streamed else [])

    agent_reply(bridge, contact_id)
    # Read once: by the receipt, or else by the reply.
    assert [r["message_id"] for r in read_receipts(bridge.twin)] == ["wamid.second"]


@pytest.mark.parametrize("streamed", READ_MODES.values(), ids=READ_MODES)
def test_typing_shows_the_message_read_whether_or_not_receipts_stream(bridge, streamed):
    bridge.twin.set_undocumented(read_receipts_streamed=streamed)
    contact_id = bridge.open_chat()
    second_message(bridge, contact_id)

    bridge.connect_event(bridge.twin.agent_typing(contact_id))

    assert [s["message"] for s in bridge.twin.sent_whatsapp] == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.second",
         "typing_indicator": {"type": "text"}}]


@pytest.mark.parametrize("streamed", READ_MODES.values(), ids=READ_MODES)
def test_the_probe_says_whether_read_receipts_stream(bridge, capsys, streamed):
    bridge.twin.set_undocumented(read_receipts_streamed=streamed)
    contact_id = bridge.open_chat()
    chat_message = second_message(bridge, contact_id)
    capsys.readouterr()

    streamed_receipt(bridge, contact_id, chat_message)
    agent_reply(bridge, contact_id)
    second_message(bridge, contact_id, "wamid.third", "And one more thing")
    agent_reply(bridge, contact_id, "Noted.")

    assert probe_results(capsys) == [("read_receipts_streamed", streamed)]
