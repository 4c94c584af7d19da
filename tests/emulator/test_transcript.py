"""GetTranscript as the customer's connection sees it, in the order Connect took the chat's items
(the bridge reads it to send agent and bot messages in that order); and SNS delivering a standard
topic's notifications in any order, side by side, when the twin is told to."""
import json

import pytest
from botocore.exceptions import ClientError

from emulator import sns_delivery
from emulator.twin import Twin
from tests.emulator.test_connect import error_code
from tests.emulator.test_connect_rules import Chat
from tests.emulator.test_streaming_publish import Subscriber, streaming_chat


def ids(page):
    return [item["Id"] for item in page["Transcript"]]


def test_pages_walk_back_from_the_newest_item_newest_first_ten_at_a_time(sdk):
    """The model's defaults: ScanDirection BACKWARD without a StartPosition, SortOrder
    DESCENDING, MaxResults 10."""
    chat = Chat(sdk)
    sent = [chat.send(f"message {n}") for n in range(12)]

    first = chat.participant.get_transcript(ConnectionToken=chat.token)
    second = chat.participant.get_transcript(ConnectionToken=chat.token, NextToken=first["NextToken"])

    assert ids(first) == sent[:1:-1]
    assert ids(second) == [sent[1], sent[0]]
    assert "NextToken" not in second


def test_ascending_sorts_each_page_and_forward_starts_at_the_chats_start(sdk):
    chat = Chat(sdk)
    sent = [chat.send(f"message {n}") for n in range(5)]

    backward = chat.participant.get_transcript(ConnectionToken=chat.token, MaxResults=2,
                                               SortOrder="ASCENDING")
    forward = chat.participant.get_transcript(ConnectionToken=chat.token, MaxResults=2,
                                              ScanDirection="FORWARD", SortOrder="ASCENDING")

    assert ids(backward) == sent[3:]
    assert ids(forward) == sent[:2]


def test_agent_and_bot_messages_are_there_with_the_ids_they_streamed_with_not_agent_only_ones(sdk, twin):
    chat = Chat(sdk)
    customer = chat.send("Where is my order?")
    bot = twin.connect_streaming_event(chat.contact_id, participant_role="SYSTEM", content="Hi")
    hidden = twin.connect_streaming_event(chat.contact_id, participant_role="AGENT",
                                          content="VIP customer", visibility="AGENT")
    agent = twin.connect_streaming_event(chat.contact_id, participant_role="AGENT", content="Hello")

    items = chat.participant.get_transcript(ConnectionToken=chat.token, MaxResults=100)["Transcript"]

    streamed = [json.loads(event["Records"][0]["Sns"]["Message"])["Id"] for event in (agent, bot)]
    assert [item["Id"] for item in items] == streamed + [customer]
    assert [item["ParticipantRole"] for item in items] == ["AGENT", "SYSTEM", "CUSTOMER"]
    assert json.loads(hidden["Records"][0]["Sns"]["Message"])["Id"] not in {i["Id"] for i in items}


def test_a_start_position_is_refused_rather_than_guessed_at(sdk):
    chat = Chat(sdk)

    with pytest.raises(ClientError) as excinfo:
        chat.participant.get_transcript(ConnectionToken=chat.token, StartPosition={"MostRecent": 1})

    assert error_code(excinfo) == "ValidationException"


@pytest.fixture
def reordering():
    subscriber = Subscriber()
    subscriber.server.start()
    with Twin(publish_streaming=True, reorder_deliveries_seconds=0.3) as twin:
        yield twin, subscriber
    sns_delivery.reorder(0)
    subscriber.server.stop()


def test_a_twin_told_to_reorders_deliveries_and_delivers_each_once(reordering):
    twin, subscriber = reordering
    chat, _ = streaming_chat(twin, subscriber, "connect-streaming-reordered")
    bot_said = [f"line {n}" for n in range(20)]
    for content in bot_said:
        twin.connect_streaming_event(chat["ContactId"], participant_role="SYSTEM", content=content)

    received = subscriber.wait_for(21)  # and the opening message's echo
    said = [json.loads(n["Message"]).get("Content") for n in received]

    assert sorted(said) == sorted(bot_said + ["Hi"])
    assert [c for c in said if c != "Hi"] != bot_said  # 20 in order by chance: 1 in 20!
