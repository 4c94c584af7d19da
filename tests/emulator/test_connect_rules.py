"""The three rules real Connect enforces and the emulator must too (issue 12): the chat's declared
content types, the 5-minute connection rule, and receipts refused with more than two participants;
plus the streaming events the bridge consumes for them (typing, receipts, the customer's echo)."""
import json
import urllib.error
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from emulator.events import UndeclaredContentType
from emulator.restjson import ServiceError
from tests.emulator.conftest import control
from tests.emulator.test_connect import TOPIC, error_code, start_chat
from tests.repository import load_event

INTERACTIVE = "application/vnd.amazonaws.connect.message.interactive"
INTERACTIVE_RESPONSE = "application/vnd.amazonaws.connect.message.interactive.response"
READ = "application/vnd.amazonaws.connect.event.message.read"
DELIVERED = "application/vnd.amazonaws.connect.event.message.delivered"
LIST_PICKER = json.dumps({"templateType": "ListPicker", "version": "1.0",
                          "data": {"content": {"title": "Pick one", "elements": [{"title": "Order status"}]}}})


def sns(event):
    (record,) = event["Records"]
    return record["Sns"]


def body(event):
    return json.loads(sns(event)["Message"])


def attributes(event):
    return {name: value["Value"] for name, value in sns(event)["MessageAttributes"].items()}


def assert_like_fixture(event, fixture, *, same_values=()):
    """The same body fields and attributes in the same order as the reference event, and the
    same values for the named body fields and for every attribute but the ids."""
    theirs = load_event(fixture)
    assert list(body(event)) == list(body(theirs))
    assert list(attributes(event)) == list(attributes(theirs))
    assert {k: body(event)[k] for k in same_values} == {k: body(theirs)[k] for k in same_values}
    ids = {"InitialContactId", "ContactId"}
    assert {k: v for k, v in attributes(event).items() if k not in ids} == {
        k: v for k, v in attributes(theirs).items() if k not in ids}


class Chat:
    """A chat started with connection credentials, seen through boto3 clients."""

    def __init__(self, sdk, **extra):
        self.response = start_chat(sdk("connect"), **extra)
        self.participant = sdk("connectparticipant")
        self.contact_id = self.response["ContactId"]
        self.token = self.response["ConnectionCredentials"]["ConnectionToken"]

    def send(self, content, content_type="text/plain"):
        return self.participant.send_message(ConnectionToken=self.token, ContentType=content_type,
                                             Content=content)["Id"]

    def receipt(self, content_type, message_id):
        return self.participant.send_event(ConnectionToken=self.token, ContentType=content_type,
                                           Content=json.dumps({"messageId": message_id}))

    def transcript(self):
        return self.participant.get_transcript(ConnectionToken=self.token, SortOrder="ASCENDING",
                                               MaxResults=100)["Transcript"]

    def item(self, item_id):
        return next(i for i in self.transcript() if i["Id"] == item_id)

    def connect_customer(self):
        self.participant.create_participant_connection(
            ParticipantToken=self.response["ParticipantToken"], Type=["CONNECTION_CREDENTIALS"],
            ConnectParticipant=True)


# --- declared content types -----------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/markdown", "application/json", INTERACTIVE_RESPONSE])
def test_send_message_refuses_a_type_the_chat_did_not_declare(sdk, content_type):
    chat = Chat(sdk)

    with pytest.raises(ClientError) as excinfo:
        chat.send('{"data": {}}', content_type)

    assert error_code(excinfo) == "ValidationException"
    assert chat.transcript() == []


@pytest.mark.parametrize("content_type", ["text/markdown", "application/json", INTERACTIVE_RESPONSE])
def test_send_message_accepts_a_declared_type(sdk, content_type):
    chat = Chat(sdk, SupportedMessagingContentTypes=["text/plain", content_type])

    message_id = chat.send('{"data": {}}', content_type)

    assert chat.item(message_id)["ContentType"] == content_type


def test_the_interactive_type_is_declarable_but_not_sendable_by_the_customer(sdk):
    chat = Chat(sdk, SupportedMessagingContentTypes=["text/plain", INTERACTIVE])

    with pytest.raises(ClientError) as excinfo:
        chat.send(LIST_PICKER, INTERACTIVE)

    assert error_code(excinfo) == "ValidationException"


def test_agent_markdown_reaches_a_plain_text_chat_as_text_plain(sdk, twin):
    chat = Chat(sdk)

    event = twin.connect_streaming_event(chat.contact_id, participant_role="AGENT",
                                         content="**Sorry** about that", content_type="text/markdown")

    assert (body(event)["ContentType"], body(event)["Content"]) == ("text/plain", "**Sorry** about that")
    assert attributes(event)["ContentType"] == "text/plain"
    assert chat.transcript()[-1]["ContentType"] == "text/plain"


def test_agent_markdown_reaches_a_chat_that_declared_it_as_markdown(sdk, twin):
    chat = Chat(sdk, SupportedMessagingContentTypes=["text/plain", "text/markdown"])

    event = twin.connect_streaming_event(chat.contact_id, participant_role="AGENT",
                                         content="**Sorry** about that", content_type="text/markdown")

    assert body(event)["ContentType"] == attributes(event)["ContentType"] == "text/markdown"


def test_a_bot_interactive_message_is_not_streamed_to_a_chat_without_the_interactive_type(sdk, twin):
    chat = Chat(sdk, SupportedMessagingContentTypes=["text/plain", "text/markdown"])

    with pytest.raises(UndeclaredContentType):
        twin.connect_streaming_event(chat.contact_id, participant_role="CUSTOM_BOT", content=LIST_PICKER,
                                     content_type=INTERACTIVE)
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(twin, "POST", f"/contacts/{chat.contact_id}/messages",
                {"participant_role": "SYSTEM", "content": LIST_PICKER, "content_type": INTERACTIVE})

    assert refused.value.code == 400
    assert json.load(refused.value)["code"] == "UndeclaredContentType"
    assert chat.transcript() == []


def test_a_bot_interactive_message_is_streamed_to_a_chat_that_declared_it(sdk, twin):
    chat = Chat(sdk, SupportedMessagingContentTypes=["text/plain", INTERACTIVE, INTERACTIVE_RESPONSE])

    event = twin.connect_streaming_event(chat.contact_id, participant_role="SYSTEM", content=LIST_PICKER,
                                         content_type=INTERACTIVE)

    assert body(event)["ContentType"] == attributes(event)["ContentType"] == INTERACTIVE
    assert chat.item(body(event)["Id"])["Content"] == LIST_PICKER


# --- the 5-minute connection rule -----------------------------------------------------------------


def test_a_chat_whose_customer_never_connected_ends_after_five_minutes(sdk, twin):
    chat = Chat(sdk, ChatStreamingConfiguration={"StreamingEndpointArn": TOPIC})

    assert twin.advance_clock(299) == []
    chat.send("still here")
    (ended,) = twin.advance_clock(1)

    with pytest.raises(ClientError) as message_error:
        chat.send("too late")
    with pytest.raises(ClientError) as connection_error:
        chat.connect_customer()
    assert body(ended)["ContentType"] == "application/vnd.amazonaws.connect.event.chat.ended"
    assert body(ended)["InitialContactId"] == chat.contact_id
    assert sns(ended)["TopicArn"] == TOPIC
    assert error_code(message_error) == error_code(connection_error) == "AccessDeniedException"
    assert twin.contacts[chat.contact_id]["status"] == "ENDED"


def test_connection_types_on_start_chat_do_not_mark_the_customer_connected(sdk, twin):
    chat = Chat(sdk)
    chat.participant.create_participant_connection(
        ParticipantToken=chat.response["ParticipantToken"], Type=["CONNECTION_CREDENTIALS"])

    (ended,) = twin.advance_clock(300)

    assert body(ended)["InitialContactId"] == chat.contact_id


def test_a_customer_marked_connected_keeps_the_chat(sdk, twin):
    chat = Chat(sdk)
    chat.connect_customer()

    assert twin.advance_clock(3600) == []
    assert chat.send("an hour later")


def test_a_chat_past_its_deadline_ends_at_the_next_call_and_streams_chat_ended(sdk, twin):
    """The clock moved without the twin's sweep (wall time, in the sandbox): the next operation
    finds the chat over."""
    chat = Chat(sdk)
    twin.connect.clock.advance(301)

    with pytest.raises(ClientError) as excinfo:
        chat.send("hello?")

    assert error_code(excinfo) == "AccessDeniedException"
    assert twin.contacts[chat.contact_id]["transcript"][-1]["ContentType"] == (
        "application/vnd.amazonaws.connect.event.chat.ended")


def test_the_control_api_moves_the_clock_and_reset_returns_it(sdk, twin):
    chat = Chat(sdk)

    (ended,) = control(twin, "POST", "/clock", {"seconds": 300})
    twin.reset()
    fresh = Chat(sdk, InitialMessage={"ContentType": "text/plain", "Content": "Hi"})

    assert body(ended)["InitialContactId"] == chat.contact_id
    sent = datetime.strptime(fresh.transcript()[0]["AbsoluteTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs((sent.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)).total_seconds()) < 60


# --- receipts ---------------------------------------------------------------------------------------


def agent_message(twin, chat, content="Your order shipped"):
    return body(twin.connect_streaming_event(chat.contact_id, participant_role="AGENT", content=content))["Id"]


def test_customer_receipts_mark_the_agent_message_in_the_transcript(sdk, twin):
    chat = Chat(sdk)
    message_id = agent_message(twin, chat)

    chat.receipt(DELIVERED, message_id)
    chat.receipt(READ, message_id)
    first_read = chat.item(message_id)["MessageMetadata"]["Receipts"][0]["ReadTimestamp"]
    twin.advance_clock(5)
    chat.connect_customer()
    chat.receipt(READ, message_id)

    metadata = chat.item(message_id)["MessageMetadata"]
    (receipt,) = metadata["Receipts"]
    assert metadata["MessageId"] == message_id
    assert receipt["RecipientParticipantId"] == chat.response["ParticipantId"]
    assert receipt["DeliveredTimestamp"] and receipt["ReadTimestamp"] == first_read


@pytest.mark.parametrize("content", [
    "not json", json.dumps({"id": "x"}), json.dumps({"messageId": 7}), json.dumps({"messageId": "unknown"})])
def test_a_receipt_must_name_a_message_of_the_chat(sdk, twin, content):
    chat = Chat(sdk)
    agent_message(twin, chat)

    with pytest.raises(ClientError) as excinfo:
        chat.participant.send_event(ConnectionToken=chat.token, ContentType=READ, Content=content)

    assert error_code(excinfo) == "ValidationException"


def test_a_customer_cannot_acknowledge_its_own_message(sdk):
    chat = Chat(sdk)
    own = chat.send("hi")

    with pytest.raises(ClientError) as excinfo:
        chat.receipt(READ, own)

    assert error_code(excinfo) == "ValidationException"


@pytest.mark.parametrize("third", [
    {"role": "SUPERVISOR"},
    {"role": "AGENT", "participant_id": "second-agent", "display_name": "Sam"},
])
def test_receipts_conflict_while_more_than_two_participants_are_active(sdk, twin, third):
    chat = Chat(sdk)
    twin.join_participant(chat.contact_id, "AGENT", display_name="Jordan")
    message_id = agent_message(twin, chat)
    chat.receipt(DELIVERED, message_id)

    joined = twin.join_participant(chat.contact_id, third.pop("role"), **third)
    with pytest.raises(ClientError) as excinfo:
        chat.receipt(READ, message_id)
    twin.connect_streaming_event(
        chat.contact_id, participant_role=body(joined)["ParticipantRole"], type="EVENT",
        content_type="application/vnd.amazonaws.connect.event.participant.left",
        participant_id=body(joined)["ParticipantId"])
    chat.receipt(READ, message_id)

    assert error_code(excinfo) == "ConflictException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "ReadTimestamp" in chat.item(message_id)["MessageMetadata"]["Receipts"][0]


def test_join_participant_matches_the_reference_event(sdk, twin):
    chat = Chat(sdk)

    event = twin.join_participant(chat.contact_id, display_name="Jordan")

    assert_like_fixture(event, "connect-participant-joined-agent.json",
                        same_values=("ContentType", "Type", "ParticipantRole", "DisplayName"))


# --- what the agent side streams --------------------------------------------------------------------


def test_agent_typing_matches_the_reference_event(sdk, twin):
    chat = Chat(sdk)

    event = twin.agent_typing(chat.contact_id, display_name="Jordan")

    assert_like_fixture(event, "connect-typing-agent.json",
                        same_values=("ContentType", "Type", "ParticipantRole", "DisplayName"))
    assert body(event)["ContactId"] == chat.contact_id


@pytest.mark.parametrize("receipt, fixture", [
    ("agent_read_receipt", "connect-agent-read-receipt.json"),
    ("agent_delivered_receipt", "connect-agent-delivered-receipt.json"),
])
def test_agent_receipt_event_matches_the_reference_event_and_marks_the_customer_message(
        sdk, twin, receipt, fixture):
    chat = Chat(sdk)
    message_id = chat.send("Where is my order?")
    typing = body(twin.agent_typing(chat.contact_id))

    event = getattr(twin, receipt)(chat.contact_id, message_id, display_name="Jordan")

    assert_like_fixture(event, fixture, same_values=("ContentType", "Type", "ParticipantRole", "DisplayName"))
    assert json.loads(body(event)["Content"]) == {"messageId": message_id}
    (recorded,) = chat.item(message_id)["MessageMetadata"]["Receipts"]
    assert recorded["RecipientParticipantId"] == body(event)["ParticipantId"] == typing["ParticipantId"]


def test_agent_read_receipt_as_an_item_type(sdk, twin):
    chat = Chat(sdk)
    message_id = chat.send("Where is my order?")

    event = twin.agent_read_receipt(chat.contact_id, message_id, form="item_type")

    assert (body(event)["Type"], attributes(event)["Type"]) == ("MESSAGE_READ", "MESSAGE_READ")
    assert json.loads(body(event)["Content"]) == {"messageId": message_id}


def test_agent_read_receipt_as_message_metadata(sdk, twin):
    chat = Chat(sdk)
    message_id = chat.send("Where is my order?")
    agent = body(twin.join_participant(chat.contact_id))["ParticipantId"]

    event = twin.agent_read_receipt(chat.contact_id, message_id, form="metadata")

    message = body(event)
    assert (message["Type"], message["ContentType"]) == (
        "MESSAGEMETADATA", "application/vnd.amazonaws.connect.event.message.metadata")
    assert message["MessageMetadata"]["MessageId"] == message_id
    (receipt,) = message["MessageMetadata"]["Receipts"]
    assert receipt["RecipientParticipantId"] == agent and receipt["ReadTimestamp"]
    assert "ParticipantRole" not in attributes(event)


def test_agent_receipts_are_refused_as_send_event_refuses_them(sdk, twin):
    chat = Chat(sdk)
    message_id = chat.send("Where is my order?")
    twin.join_participant(chat.contact_id)
    twin.join_participant(chat.contact_id, "SUPERVISOR")

    with pytest.raises(ServiceError) as conflict:
        twin.agent_read_receipt(chat.contact_id, message_id)
    with pytest.raises(urllib.error.HTTPError) as unknown:
        control(twin, "POST", f"/contacts/{chat.contact_id}/receipts", {"message_id": "nope"})

    assert conflict.value.code == "ConflictException"
    assert (unknown.value.code, json.load(unknown.value)["code"]) == (400, "ValidationException")
    assert "MessageMetadata" not in chat.item(message_id)


def test_control_api_streams_typing_and_receipts(sdk, twin):
    chat = Chat(sdk)
    message_id = chat.send("Where is my order?")

    typing = control(twin, "POST", f"/contacts/{chat.contact_id}/typing", {"display_name": "Jordan"})
    read = control(twin, "POST", f"/contacts/{chat.contact_id}/receipts",
                   {"message_id": message_id, "kind": "read", "form": "event"})

    assert body(typing)["ContentType"] == "application/vnd.amazonaws.connect.event.typing"
    assert (body(read)["ContentType"], json.loads(body(read)["Content"])) == (READ, {"messageId": message_id})


def test_the_echo_of_the_initial_message_carries_the_id_get_transcript_shows(sdk, twin):
    chat = Chat(sdk, ChatStreamingConfiguration={"StreamingEndpointArn": TOPIC},
                InitialMessage={"ContentType": "text/plain", "Content": "Hi, I need help with my order"})

    event = twin.customer_echo_event(chat.contact_id)
    over_control = control(twin, "POST", f"/contacts/{chat.contact_id}/customer-echo", {})

    (initial,) = chat.transcript()
    assert_like_fixture(event, "connect-customer-echo.json",
                        same_values=("ContentType", "Type", "ParticipantRole", "DisplayName", "Content"))
    assert body(event)["Id"] == body(over_control)["Id"] == initial["Id"]
