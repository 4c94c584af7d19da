"""The waiting room: a conversation Amazon Connect cannot take now waits in the buffer, is told
once, is retried oldest first, and never sends a record to the stream's failure queue."""
import json

import boto3
import pytest

from chalicelib.config import DEFAULT_BUSY_MESSAGE, DEFAULT_BUSY_TIMEOUT_MESSAGE

from tests.conftest import (
    BUFFER_TABLE, CONVERSATION_ID, DEFAULT_SETTINGS, SESSIONS_TABLE, load_event, put_settings,
    conversation_item, text_from_customer, with_messages,
)
from tests.test_flush import customer_texts, session_items

SECOND_CONVERSATION = "101996265140636#15550100077"


def scheduled_event() -> dict:
    """EventBridge's scheduled event, as Lambda hands it to an @app.schedule function."""
    return {"version": "0", "id": "5f1c1f5e-schedule", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2025-11-13T12:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/retry"],
            "detail": {}}


def texts(*messages):
    return with_messages(load_event("eum-text"), [text_from_customer(*m) for m in messages])


def second_customer(message_id="wamid.second-1", timestamp=1763000300, body="Anyone there?"):
    """A text from another customer of the same business number."""
    event = texts((message_id, timestamp, body))
    event["Records"][0]["Sns"]["Message"] = event["Records"][0]["Sns"]["Message"].replace(
        "15550100001", "15550100077")
    return event


def whatsapp_texts(twin, to):
    return [r["message"]["text"]["body"] for r in twin.sent_whatsapp
            if r["message"].get("type") == "text" and r["message"].get("to") == to]


def waiting_items():
    items = boto3.resource("dynamodb").Table(SESSIONS_TABLE).scan(ConsistentRead=True)["Items"]
    return {i["contactId"].removeprefix("conversation#"): i for i in items if "waitingRoom" in i}


def connect_full(bridge):
    """The instance's concurrent active chats quota is reached: no chat more than are open now."""
    bridge.twin.set_limits(concurrent_chats=bridge.twin.active_chats())


def connect_frees(bridge):
    """The quota is raised (or chats ended outside the bridge's sight)."""
    bridge.twin.set_limits(concurrent_chats=None)


def retry_waiting(bridge):
    """The scheduled retry, then the flush of the retry items it wrote."""
    result = bridge.invoke("retry_waiting", scheduled_event())
    bridge.flush()
    return result


def test_a_full_contact_center_keeps_the_message_waiting_and_tells_the_customer_once(bridge):
    connect_full(bridge)
    bridge.whatsapp(load_event("eum-text"))

    response = bridge.flush()

    assert response["batchItemFailures"] == []
    assert bridge.twin.contacts == {}
    wait = waiting_items()[CONVERSATION_ID]
    assert wait["waitReason"] == "capacity" and wait["waitAttempts"] == 1
    assert whatsapp_texts(bridge.twin, "15550100001") == [DEFAULT_BUSY_MESSAGE]


def test_a_customer_who_writes_again_joins_the_wait_without_a_connect_call(bridge):
    connect_full(bridge)
    bridge.deliver(load_event("eum-text"))
    bridge.twin.clear_calls()

    response = bridge.deliver(texts(("wamid.again", 1763000200, "Still there?")))

    assert response["batchItemFailures"] == []
    assert bridge.twin.calls_to("connect") == []
    assert whatsapp_texts(bridge.twin, "15550100001") == [DEFAULT_BUSY_MESSAGE]
    assert len(conversation_item()["attempts"]) == 2


def test_the_scheduled_retry_opens_the_chat_with_every_waiting_message_in_order(bridge):
    connect_full(bridge)
    bridge.deliver(load_event("eum-text"))
    bridge.deliver(texts(("wamid.again", 1763000200, "Still there?")))
    connect_frees(bridge)
    bridge.twin.advance_clock(30)

    result = retry_waiting(bridge)

    assert result == {"waiting": 1, "retried": 1}
    (session,) = session_items()
    # Each attempt's block is its own chat message, as the customer's burst was buffered.
    assert customer_texts(bridge.twin, session["contactId"]) == [
        "Hi, I need help with my order", "Still there?"]
    assert waiting_items() == {}
    assert conversation_item()["attempts"] == []


def test_the_scheduled_retry_waits_for_the_next_attempt_to_be_due(bridge):
    connect_full(bridge)
    bridge.deliver(load_event("eum-text"))
    connect_frees(bridge)
    bridge.twin.clear_calls()

    result = retry_waiting(bridge)

    assert result == {"waiting": 1, "retried": 0}
    assert bridge.twin.calls_to("connect") == []


def test_a_chat_that_ends_lets_the_oldest_waiting_customer_in_at_once(bridge):
    contact_id = bridge.open_chat()
    connect_full(bridge)
    bridge.deliver(second_customer())
    assert SECOND_CONVERSATION in waiting_items()

    bridge.connect_event(bridge.twin.end_chat(contact_id))
    bridge.flush()

    (session,) = session_items(SECOND_CONVERSATION)
    assert customer_texts(bridge.twin, session["contactId"]) == ["Anyone there?"]
    assert waiting_items() == {}


def test_waiting_conversations_are_let_in_oldest_first(bridge):
    contact_id = open_chat_elsewhere(bridge)
    connect_full(bridge)
    bridge.deliver(second_customer(timestamp=1763000100))
    bridge.twin.advance_clock(5)
    bridge.deliver(load_event("eum-text"))
    waits = waiting_items()
    assert waits[SECOND_CONVERSATION]["waitingSince"] < waits[CONVERSATION_ID]["waitingSince"]

    bridge.connect_event(bridge.twin.end_chat(contact_id))
    bridge.flush()

    assert session_items(SECOND_CONVERSATION) and not session_items(CONVERSATION_ID)


def open_chat_elsewhere(bridge):
    """A chat of a third customer, to be ended."""
    event = texts(("wamid.third-1", 1763000400, "Hello"))
    event["Records"][0]["Sns"]["Message"] = event["Records"][0]["Sns"]["Message"].replace(
        "15550100001", "15550100099")
    bridge.deliver(event)
    (session,) = session_items("101996265140636#15550100099")
    return session["contactId"]


def test_a_chat_failing_for_a_while_delivers_later_and_its_neighbour_at_once(bridge):
    contact_id = bridge.open_chat()
    bridge.twin.inject_fault("connectparticipant", "SendMessage", "InternalServerException",
                             status=500, times=3)
    bridge.whatsapp(texts(("wamid.later", 1763000200, "My order number is 4417")))
    bridge.whatsapp(second_customer())

    response = bridge.flush()

    assert response["batchItemFailures"] == []
    assert session_items(SECOND_CONVERSATION)
    assert waiting_items()[CONVERSATION_ID]["waitReason"] == "failing"
    bridge.twin.advance_clock(120)
    retry_waiting(bridge)
    assert customer_texts(bridge.twin, contact_id)[-1] == "My order number is 4417"
    assert waiting_items() == {}


def test_failures_back_off_exponentially(bridge):
    bridge.open_chat()
    bridge.twin.inject_fault("connectparticipant", "SendMessage", "ThrottlingException",
                             status=429, times=100)
    bridge.deliver(texts(("wamid.later", 1763000200, "My order number is 4417")))
    first = waiting_items()[CONVERSATION_ID]
    bridge.twin.advance_clock(int(first["nextAttemptAt"] - first["waitingSince"]) + 1)

    retry_waiting(bridge)

    second = waiting_items()[CONVERSATION_ID]
    assert second["waitAttempts"] == 2 and second["waitReason"] == "throttled"
    first_backoff = first["nextAttemptAt"] - first["waitingSince"]
    assert second["nextAttemptAt"] - second["waitingSince"] > 2 * first_backoff


def test_a_wait_past_its_bound_tells_the_customer_and_gives_the_messages_up(bridge):
    put_settings({**DEFAULT_SETTINGS, "busy_max_wait_minutes": 5})
    connect_full(bridge)
    bridge.deliver(load_event("eum-text"))
    bridge.twin.advance_clock(5 * 60)

    retry_waiting(bridge)

    assert whatsapp_texts(bridge.twin, "15550100001") == [DEFAULT_BUSY_MESSAGE,
                                                          DEFAULT_BUSY_TIMEOUT_MESSAGE]
    assert waiting_items() == {}
    assert conversation_item()["attempts"] == []


def test_busy_message_off_when_empty(bridge):
    put_settings({**DEFAULT_SETTINGS, "busy_message": ""})
    connect_full(bridge)

    bridge.deliver(load_event("eum-text"))

    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    assert CONVERSATION_ID in waiting_items()


def test_a_retry_item_is_written_to_the_conversations_own_buffer_partition(bridge):
    connect_full(bridge)
    bridge.deliver(load_event("eum-text"))
    bridge.twin.advance_clock(30)

    bridge.invoke("retry_waiting", scheduled_event())

    items = boto3.resource("dynamodb").Table(BUFFER_TABLE).scan()["Items"]
    (retry,) = [i for i in items if i["kind"] == "retry"]
    assert retry["conversationId"] == CONVERSATION_ID and retry["messageKey"].startswith("retry#")


def full_of_files(bridge):
    """The chat holds as many files as Connect allows (35 by default; none here)."""
    bridge.twin.set_limits(attachments_per_chat=0)


def refused_as_invalid(bridge):
    bridge.twin.inject_fault("connectparticipant", "StartAttachmentUpload", "ValidationException")


@pytest.mark.parametrize("refusal", [full_of_files, refused_as_invalid])
def test_a_file_connect_will_never_take_becomes_a_note_and_the_conversation_goes_on(bridge, refusal):
    contact_id = bridge.open_chat()
    bridge.twin.register_media("1546782405440846", b"\xff\xd8\xff\xe0" + b"\x00" * 2048 + b"\xff\xd9",
                               "image/jpeg")
    refusal(bridge)
    bridge.whatsapp(load_event("eum-image"))
    bridge.whatsapp(texts(("wamid.after-file", 1763999000, "Did you get it?")))

    response = bridge.flush()

    assert response["batchItemFailures"] == []
    notes = customer_texts(bridge.twin, contact_id)
    assert notes[-2].startswith("[WhatsApp bridge] 📎 The customer sent") and "could not be attached" in notes[-2]
    # The file's caption comes right after its note, with the text written next.
    assert notes[-1] == "Photo of the damaged box\nDid you get it?"
    assert waiting_items() == {}


def test_six_customers_through_two_chats_all_get_in_in_order_and_no_record_fails(bridge):
    """A small surge, with the limits on: as the agents end chats, the waiting customers get them,
    oldest first; each waiting customer hears the busy message once; the stream never retries."""
    bridge.twin.set_limits(concurrent_chats=2, start_chat_rate=(1000, 2))
    customers = [f"1555010030{n}" for n in range(6)]
    responses = []
    for n, customer in enumerate(customers):
        for line in (1, 2):
            event = texts((f"wamid.surge-{n}-{line}", 1763000000 + 10 * n + line, f"{n}: line {line}"))
            bridge.whatsapp(json_replace(event, "15550100001", customer))
            responses.append(bridge.flush())
        bridge.twin.advance_clock(1)
    for _ in range(len(customers)):
        open_chats = [c for c, contact in bridge.twin.contacts.items() if contact["status"] != "ENDED"]
        bridge.connect_event(bridge.twin.end_chat(open_chats[0]))
        responses.append(bridge.flush())

    assert all(r["batchItemFailures"] == [] for r in responses)
    for n, customer in enumerate(customers):
        (session,) = session_items(f"101996265140636#{customer}")
        assert customer_texts(bridge.twin, session["contactId"]) in (
            [f"{n}: line 1", f"{n}: line 2"], [f"{n}: line 1\n{n}: line 2"])
    busy = [r for r in bridge.twin.sent_whatsapp if r["message"].get("text", {}).get("body") == DEFAULT_BUSY_MESSAGE]
    assert sorted(r["message"]["to"] for r in busy) == customers[2:]
    assert waiting_items() == {}


def json_replace(event: dict, old: str, new: str) -> dict:
    return json.loads(json.dumps(event).replace(old, new))


def test_a_chat_that_ends_finds_the_oldest_customer_waiting_for_a_chat_a_page_at_a_time(bridge):
    """Behind many conversations waiting for a failing chat of their own, a query reads a hundred
    waits at a time, not one or two."""
    contact_id = bridge.open_chat()
    table = boto3.resource("dynamodb").Table(SESSIONS_TABLE)
    with table.batch_writer() as batch:
        for n in range(150):
            batch.put_item(Item={"contactId": f"conversation#101996265140636#1555020{n:04d}",
                                 "waitingRoom": "waiting", "waitingSince": 1762950000 + n,
                                 "nextAttemptAt": 1762990000, "waitReason": "failing"})
    connect_full(bridge)
    bridge.deliver(second_customer())
    bridge.twin.clear_calls()

    bridge.connect_event(bridge.twin.end_chat(contact_id))

    assert len(bridge.twin.calls_to("dynamodb", "Query")) == 2
    (retry,) = [i for i in boto3.resource("dynamodb").Table(BUFFER_TABLE).scan()["Items"]
                if i["kind"] == "retry"]
    assert retry["conversationId"] == SECOND_CONVERSATION


def test_two_chats_that_end_together_let_in_two_different_customers(bridge):
    first = bridge.open_chat()
    second = open_chat_elsewhere(bridge)
    connect_full(bridge)
    bridge.deliver(second_customer(timestamp=1763000100))
    bridge.twin.advance_clock(5)
    fourth = "101996265140636#15550100055"
    bridge.deliver(json_replace(texts(("wamid.fourth-1", 1763000200, "Me too")), "15550100001",
                                "15550100055"))
    assert set(waiting_items()) == {SECOND_CONVERSATION, fourth}

    bridge.connect_event(bridge.twin.end_chat(first))
    bridge.connect_event(bridge.twin.end_chat(second))

    retries = [i["conversationId"] for i in boto3.resource("dynamodb").Table(BUFFER_TABLE).scan()["Items"]
               if i["kind"] == "retry"]
    assert sorted(retries) == sorted([SECOND_CONVERSATION, fourth])
    bridge.flush()
    assert session_items(SECOND_CONVERSATION) and session_items(fourth)
    assert waiting_items() == {}
