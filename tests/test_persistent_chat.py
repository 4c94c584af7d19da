"""Returning customers: a customer whose chat with this business number ended writes again, and
the new chat carries the past one's history (persistent chat) and says how many chats came
before (previousChats). chalicelib/history.py."""
import json

import boto3
import pytest

from chalicelib import sessions
from chalicelib.config import SettingsError, parse_settings
from chalicelib.tables import Table
from tests.conftest import (
    CONVERSATION_ID, DEFAULT_SETTINGS, SESSIONS_TABLE, load_event, put_settings, text_from_customer,
    with_messages,
)
from tests.test_flush import conversation_item, customer_texts
from tests.test_usernames import BSUID, USER_CONVERSATION, conversation
from tests.test_waiting import connect_frees, connect_full, retry_waiting

FIRST_TEXT = "Hi, I need help with my order"
RETURN_TEXT = "Hello again, it's about the same order"
LATER = 1762957500  # a WhatsApp timestamp after the reference conversation


def logged(capsys, event: str) -> list[dict]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event]


def text(message_id: str, body: str = RETURN_TEXT, timestamp: int = LATER) -> dict:
    return with_messages(load_event("eum-text"), [text_from_customer(message_id, timestamp, body)])


def starts(twin) -> list[dict]:
    return [call["params"] for call in twin.calls_to("connect", "StartChatContact")]


def open_contacts(twin) -> list[str]:
    return [contact_id for contact_id, chat in twin.contacts.items() if chat["status"] != "ENDED"]


def chat_that_ended(bridge, event=None, seconds_ago=61) -> str:
    """A chat that opened for the customer's message, and ended `seconds_ago`; its contact id."""
    bridge.deliver(event or load_event("eum-text"))
    (contact_id,) = open_contacts(bridge.twin)
    bridge.connect_event(bridge.twin.end_chat(contact_id))
    bridge.twin.advance_clock(seconds_ago)
    bridge.twin.clear_calls()
    return contact_id


def history(contact_id: str) -> dict:
    return {"RehydrationType": "ENTIRE_PAST_SESSION", "SourceContactId": contact_id}


def test_the_first_chat_ever_carries_no_history_and_no_previous_chats(bridge):
    bridge.deliver(load_event("eum-text"))

    (start,) = starts(bridge.twin)
    assert "PersistentChat" not in start
    assert start["Attributes"]["previousChats"] == "0"


def test_a_returning_customer_gets_a_chat_with_the_past_chats_history(bridge):
    past = chat_that_ended(bridge)

    bridge.deliver(text("wamid.return-1"))

    (start,) = starts(bridge.twin)
    assert start["PersistentChat"] == history(past)
    assert start["Attributes"]["previousChats"] == "1"
    assert start["InitialMessage"]["Content"] == RETURN_TEXT
    (contact_id,) = open_contacts(bridge.twin)
    # The agent sees the past chat first, each item naming the contact it was sent on.
    transcript = bridge.twin.contacts[contact_id]["transcript"]
    assert [(i["Content"], i.get("RelatedContactId")) for i in transcript if i["Type"] == "MESSAGE"] == [
        (FIRST_TEXT, past), (RETURN_TEXT, None)]
    conversation = conversation_item()
    assert (conversation["openContactId"], conversation["lastContactId"],
            conversation["chatsEnded"]) == (contact_id, past, 1)


def test_the_third_chat_rehydrates_the_second_which_carries_the_first(bridge):
    first = chat_that_ended(bridge)
    bridge.deliver(text("wamid.return-1"))
    (second,) = open_contacts(bridge.twin)
    bridge.connect_event(bridge.twin.end_chat(second))
    bridge.twin.advance_clock(61)
    bridge.twin.clear_calls()

    bridge.deliver(text("wamid.return-2", "Me again", LATER + 120))

    (start,) = starts(bridge.twin)
    assert start["PersistentChat"] == history(second)
    assert start["Attributes"]["previousChats"] == "2"
    (third,) = open_contacts(bridge.twin)
    assert [(i["Content"], i.get("RelatedContactId")) for i in bridge.twin.contacts[third]["transcript"]
            if i["Type"] == "MESSAGE"] == [(FIRST_TEXT, first), (RETURN_TEXT, second), ("Me again", None)]


def test_a_chat_that_ended_too_recently_opens_without_history_at_once(bridge):
    chat_that_ended(bridge, seconds_ago=30)

    bridge.deliver(text("wamid.return-1"))

    (start,) = starts(bridge.twin)
    assert "PersistentChat" not in start
    assert start["Attributes"]["previousChats"] == "1"
    assert len(open_contacts(bridge.twin)) == 1


def test_the_minimum_age_is_a_setting(bridge):
    put_settings({**DEFAULT_SETTINGS, "history_min_age_seconds": 10})
    past = chat_that_ended(bridge, seconds_ago=30)

    bridge.deliver(text("wamid.return-1"))

    (start,) = starts(bridge.twin)
    assert start["PersistentChat"] == history(past)


def test_history_off_opens_without_history_but_still_counts_the_past_chats(bridge):
    put_settings({**DEFAULT_SETTINGS, "history": "off"})
    chat_that_ended(bridge)

    bridge.deliver(text("wamid.return-1"))

    (start,) = starts(bridge.twin)
    assert "PersistentChat" not in start
    assert start["Attributes"]["previousChats"] == "1"


def test_a_refused_history_opens_the_chat_without_it_at_once_once_and_is_logged_once(bridge, capsys):
    past = chat_that_ended(bridge)
    bridge.twin.set_persistent_chat(False)
    capsys.readouterr()

    bridge.deliver(text("wamid.return-1"))

    with_history, without = starts(bridge.twin)
    assert with_history["PersistentChat"] == history(past)
    assert "PersistentChat" not in without
    assert without["ClientToken"] != with_history["ClientToken"]
    assert without["InitialMessage"]["Content"] == RETURN_TEXT
    (contact_id,) = open_contacts(bridge.twin)
    assert customer_texts(bridge.twin, contact_id) == [RETURN_TEXT]
    (refusal,) = logged(capsys, "chat_history_refused")
    assert (refusal["error"], refusal["sourceContactId"], refusal["contactId"]) == (
        "InvalidRequestException", past, contact_id)

    # The next returning customer's chat is refused the same way: not logged again.
    bridge.connect_event(bridge.twin.end_chat(contact_id))
    bridge.twin.advance_clock(61)
    bridge.twin.clear_calls()
    bridge.deliver(text("wamid.return-2", "Me again", LATER + 120))

    assert ["PersistentChat" in start for start in starts(bridge.twin)] == [True, False]
    assert len(open_contacts(bridge.twin)) == 1
    assert logged(capsys, "chat_history_refused") == []


def test_a_past_chat_connect_no_longer_knows_opens_without_history(bridge):
    """The conversation remembers a chat Connect no longer has (deleted after 24 months)."""
    boto3.resource("dynamodb").Table(SESSIONS_TABLE).put_item(Item={
        "contactId": f"conversation#{CONVERSATION_ID}", "lastContactId": "9c8e7b7a-gone",
        "lastEndedAt": 1, "chatsEnded": 3})

    bridge.deliver(load_event("eum-text"))

    with_history, without = starts(bridge.twin)
    assert with_history["PersistentChat"] == history("9c8e7b7a-gone")
    assert "PersistentChat" not in without
    assert without["Attributes"]["previousChats"] == "3"
    assert len(open_contacts(bridge.twin)) == 1


def test_a_capacity_refusal_is_no_history_refusal_the_waiting_customers_chat_still_rehydrates(bridge):
    past = chat_that_ended(bridge)
    connect_full(bridge)

    bridge.deliver(text("wamid.return-1"))

    (refused,) = starts(bridge.twin)
    assert refused["PersistentChat"] == history(past)
    assert open_contacts(bridge.twin) == []

    connect_frees(bridge)
    bridge.twin.advance_clock(30)
    bridge.twin.clear_calls()
    retry_waiting(bridge)

    (start,) = starts(bridge.twin)
    assert start["PersistentChat"] == history(past)
    (contact_id,) = open_contacts(bridge.twin)
    assert customer_texts(bridge.twin, contact_id)[-1] == RETURN_TEXT


def test_a_customer_now_known_by_username_gets_the_history_of_their_chat_under_the_number(bridge):
    past = chat_that_ended(bridge)

    bridge.deliver(load_event("eum-text-username-and-number"))

    (start,) = starts(bridge.twin)
    assert start["PersistentChat"] == history(past)
    assert start["Attributes"]["previousChats"] == "1"
    assert start["Attributes"]["customerUserId"] == BSUID
    # The conversation under the user id now counts the chats, for the next one.
    user = conversation(USER_CONVERSATION)
    assert (user["lastContactId"], user["chatsEnded"]) == (past, 1)


def test_the_conversation_remembers_its_past_chats_24_months_even_when_a_template_is_sent(bridge):
    chat_that_ended(bridge, seconds_ago=0)
    ended_at, remembered = (int(conversation_item()[name]) for name in ("lastEndedAt", "expiresAt"))
    assert remembered == ended_at + 730 * 24 * 3600

    assert sessions.remember_campaign(Table(boto3.client("dynamodb"), SESSIONS_TABLE), CONVERSATION_ID,
                                      {"templateName": "welcome_back", "sentAt": ended_at}, ended_at)

    item = conversation_item()
    assert (item["expiresAt"], item["campaign"]["templateName"]) == (remembered, "welcome_back")


def test_history_is_on_after_a_minute_unless_the_settings_say_otherwise():
    default = parse_settings(json.dumps(DEFAULT_SETTINGS))
    chosen = parse_settings(json.dumps({**DEFAULT_SETTINGS, "history": "off",
                                        "history_min_age_seconds": "0"}))

    assert (default.history, default.history_min_age_seconds) == (True, 60)
    assert (chosen.history, chosen.history_min_age_seconds) == (False, 0)


@pytest.mark.parametrize("setting, message", [
    ({"history": "yes"}, "settings key 'history' must be \"on\" or \"off\", not 'yes'"),
    ({"history_min_age_seconds": 3601},
     "settings key 'history_min_age_seconds' must be a whole number from 0 to 3600, not 3601"),
])
def test_a_mistyped_history_setting_is_named(setting, message):
    with pytest.raises(SettingsError) as refused:
        parse_settings(json.dumps({**DEFAULT_SETTINGS, **setting}))

    assert str(refused.value) == message


def test_a_returning_customer_who_waits_for_a_chat_keeps_the_memory_of_their_past_chats(bridge):
    chat_that_ended(bridge, seconds_ago=0)
    remembered = int(conversation_item()["expiresAt"])
    connect_full(bridge)

    bridge.deliver(text("wamid.return-1"))

    item = conversation_item()
    assert (item["waitReason"], int(item["expiresAt"])) == ("capacity", remembered)
