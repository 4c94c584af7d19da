"""Persistent chat in the twin: an ended chat keeps its transcript, a new chat started with
PersistentChat begins with it (each past item naming the contact it was sent on), and a request
Connect would not serve is refused as Connect refuses it."""
import pytest
from botocore.exceptions import ClientError

from tests.emulator.test_connect import error_code
from tests.emulator.test_connect_rules import Chat


def history_of(contact_id, rehydration="ENTIRE_PAST_SESSION"):
    return {"PersistentChat": {"RehydrationType": rehydration, "SourceContactId": contact_id}}


def ended_chat(sdk, twin, *texts):
    """A chat in which the customer wrote `texts` and an agent answered, then ended; its contact
    id and the ids of its items, oldest first."""
    chat = Chat(sdk)
    for text in texts:
        chat.send(text)
    twin.connect_streaming_event(chat.contact_id, participant_role="AGENT", content="Happy to help")
    twin.end_chat(chat.contact_id)
    return chat.contact_id, [item["Id"] for item in twin.contacts[chat.contact_id]["transcript"]]


def test_a_persistent_chat_starts_with_the_past_chats_transcript_each_item_naming_its_contact(sdk, twin):
    past, past_items = ended_chat(sdk, twin, "Where is my order?")

    chat = Chat(sdk, **history_of(past))
    now = chat.send("It came, thanks")
    transcript = chat.transcript()

    assert chat.response["ContinuedFromContactId"] == past
    assert [item["Id"] for item in transcript] == past_items + [now]
    assert [item.get("RelatedContactId") for item in transcript] == [past] * len(past_items) + [None]
    assert [item.get("ContactId") for item in transcript] == [None] * len(past_items) + [chat.contact_id]
    assert [item.get("Content") for item in transcript if item["Type"] == "MESSAGE"] == [
        "Where is my order?", "Happy to help", "It came, thanks"]


def test_a_third_chat_carries_both_past_chats_each_item_naming_the_chat_it_was_sent_on(sdk, twin):
    first, first_items = ended_chat(sdk, twin, "One")
    second = Chat(sdk, **history_of(first))
    second.send("Two")
    twin.end_chat(second.contact_id)

    third = Chat(sdk, **history_of(second.contact_id))

    transcript = third.transcript()
    assert [item["RelatedContactId"] for item in transcript[:len(first_items)]] == [first] * len(first_items)
    assert {item["RelatedContactId"] for item in transcript[len(first_items):]} == {second.contact_id}
    assert [(item["Content"], item["RelatedContactId"]) for item in transcript
            if item["Type"] == "MESSAGE"] == [("One", first), ("Happy to help", first),
                                              ("Two", second.contact_id)]


def test_a_chat_started_without_persistent_chat_starts_empty(sdk, twin):
    ended_chat(sdk, twin, "Where is my order?")

    chat = Chat(sdk)

    assert chat.transcript() == []
    assert "ContinuedFromContactId" not in chat.response


def test_messages_for_agents_only_stay_out_of_the_rehydrated_customer_transcript(sdk, twin):
    chat = Chat(sdk)
    twin.connect_streaming_event(chat.contact_id, participant_role="AGENT", content="VIP", visibility="AGENT")
    twin.connect_streaming_event(chat.contact_id, participant_role="AGENT", content="Hello")
    twin.end_chat(chat.contact_id)

    transcript = Chat(sdk, **history_of(chat.contact_id)).transcript()

    assert [item["Content"] for item in transcript if item["Type"] == "MESSAGE"] == ["Hello"]


def test_a_chat_that_has_not_ended_is_refused(sdk):
    open_chat = Chat(sdk)

    with pytest.raises(ClientError) as excinfo:
        Chat(sdk, **history_of(open_chat.contact_id))

    assert error_code(excinfo) == "InvalidRequestException"


def test_an_unknown_chat_is_refused(sdk):
    with pytest.raises(ClientError) as excinfo:
        Chat(sdk, **history_of("2a7b4c1e-0000-4000-8000-000000000000"))

    assert error_code(excinfo) == "ResourceNotFoundException"


def test_persistent_chat_turned_off_refuses_every_request_for_it_and_reset_turns_it_on(sdk, twin):
    past, _ = ended_chat(sdk, twin, "Hello")
    twin.set_persistent_chat(False)

    with pytest.raises(ClientError) as excinfo:
        Chat(sdk, **history_of(past))
    assert error_code(excinfo) == "InvalidRequestException"
    assert "ContinuedFromContactId" not in Chat(sdk).response  # a chat without history starts

    twin.reset()
    past, _ = ended_chat(sdk, twin, "Hello")
    assert Chat(sdk, **history_of(past)).response["ContinuedFromContactId"] == past


def test_persistent_chat_with_a_related_contact_is_refused(sdk, twin):
    past, _ = ended_chat(sdk, twin, "Hello")

    with pytest.raises(ClientError) as excinfo:
        Chat(sdk, RelatedContactId=past, **history_of(past))

    assert error_code(excinfo) == "InvalidParameterException"


def test_a_refused_request_started_nothing(sdk, twin):
    open_chat = Chat(sdk)

    with pytest.raises(ClientError):
        Chat(sdk, **history_of(open_chat.contact_id))

    assert list(twin.contacts) == [open_chat.contact_id]
