"""on_connect_event: what the agent, a bot or the flow says reaches the customer on WhatsApp."""
import copy
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import (
    CUSTOMER_WA_ID, PHONE_NUMBER_ARN, SESSIONS_TABLE, load_event, text_from_customer,
    with_messages,
)

FIXTURE_CONTACT = "21a81720-8a48-4512-88e6-d4987715835e"
FIXTURE_MESSAGE_ID = json.loads(load_event("connect-agent-text")["Records"][0]["Sns"]["Message"])["Id"]
FIRST_WAMID = "wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQ0NENBMUMxM0RFRjlGQkFFODBBOAA="


def for_contact(event, contact_id, **body_changes):
    """A reference streaming event re-addressed to the chat the test opened."""
    event = copy.deepcopy(event)
    sns = event["Records"][0]["Sns"]
    body = json.loads(sns["Message"])
    for key in ("InitialContactId", "ContactId"):
        if body.get(key) == FIXTURE_CONTACT:
            body[key] = contact_id
        attribute = sns["MessageAttributes"].get(key)
        if attribute and attribute["Value"] == FIXTURE_CONTACT:
            attribute["Value"] = contact_id
    body.update(body_changes)
    sns["Message"] = json.dumps(body)
    return event


def messages_sent(twin):
    """What the customer sees as messages: not read receipts or typing indicators."""
    return [s for s in twin.sent_whatsapp if "type" in s["message"]]


def texts_sent(twin):
    return [s["message"]["text"]["body"] for s in twin.sent_whatsapp if s["message"].get("type") == "text"]


def session(contact_id):
    return boto3.resource("dynamodb").Table(SESSIONS_TABLE).get_item(
        Key={"contactId": contact_id}).get("Item")


def test_agent_text_is_sent_from_the_business_number_to_the_customer(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))

    sent, ticks = bridge.twin.sent_whatsapp
    assert sent["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert sent["metaApiVersion"] == "v20.0"
    assert sent["message"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER_WA_ID,
        "type": "text", "text": {"body": "Hi Ana, I'm Jordan. I can help with that.",
                                 "preview_url": False},
        "biz_opaque_callback_data": f"{contact_id}|{FIXTURE_MESSAGE_ID}"}
    # Replying is reading: the customer's message gets its blue ticks after the reply.
    assert ticks["message"] == {"messaging_product": "whatsapp", "status": "read",
                                "message_id": FIRST_WAMID}
    # Two calls before the send (the claim, which reads the session, and the transcript, which
    # tells whether an earlier message must go first), then one write, alongside the blue ticks.
    calls = [(c["service"], c["operation"]) for c in bridge.twin.calls]
    assert calls[:3] == [("dynamodb", "UpdateItem"), ("connectparticipant", "GetTranscript"),
                         ("socialmessaging", "SendWhatsAppMessage")]
    assert sorted(calls[3:]) == [("dynamodb", "UpdateItem"), ("socialmessaging", "SendWhatsAppMessage")]


def test_markdown_is_converted_to_whatsapp_formatting(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-agent-markdown"), contact_id))

    (body,) = texts_sent(bridge.twin)
    assert "**" not in body
    assert "*" in body


def test_system_and_bot_messages_are_sent(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-system-message"), contact_id))
    bridge.connect_event(for_contact(load_event("connect-custom-bot-message"), contact_id))

    assert len(texts_sent(bridge.twin)) == 2


def test_customer_echo_and_agent_only_messages_are_never_sent(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-customer-echo"), contact_id))
    bridge.connect_event(for_contact(load_event("connect-agent-only-visibility"), contact_id))
    bridge.connect_event(for_contact(load_event("connect-participant-joined-agent"), contact_id))

    assert bridge.twin.sent_whatsapp == []


def test_after_a_transfer_the_session_is_found_by_the_initial_contact(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-transferred-agent-text"), contact_id))

    assert len(texts_sent(bridge.twin)) == 1


def test_redelivered_streaming_message_is_sent_once(bridge):
    contact_id = bridge.open_chat()
    event = for_contact(load_event("connect-agent-text"), contact_id)
    bridge.connect_event(event)
    bridge.connect_event(event)

    assert len(texts_sent(bridge.twin)) == 1


def test_a_throttled_send_waits_and_goes_out_in_the_same_invocation(bridge):
    contact_id = bridge.open_chat()
    bridge.twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "ThrottledRequestException",
                             status=429, message="(#131056) (Business Account, Consumer Account) pair "
                             "rate limit hit", times=3)

    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))

    assert texts_sent(bridge.twin) == ["Hi Ana, I'm Jordan. I can help with that."]
    statuses = [c["status"] for c in bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage")]
    assert statuses[:4] == [429, 429, 429, 200]
    assert not any("Not delivered" in item.get("Content", "")
                   for item in bridge.twin.contacts[contact_id]["transcript"])


def test_a_send_throttled_for_long_is_retried_by_lambda_and_then_sent_once(bridge):
    contact_id = bridge.open_chat()
    event = for_contact(load_event("connect-agent-text"), contact_id)
    # botocore's three attempts, after each of the bridge's pauses too.
    bridge.twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "ThrottledRequestException",
                             status=429, times=9)
    with pytest.raises(ClientError, match="ThrottledRequestException"):
        bridge.connect_event(event)
    bridge.connect_event(event)

    assert texts_sent(bridge.twin) == ["Hi Ana, I'm Jordan. I can help with that."]


def test_metas_rate_limit_in_a_validation_error_is_retried_not_reported(bridge):
    contact_id = bridge.open_chat()
    bridge.twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "ValidationException",
                             message="(#130429) Rate limit hit", times=1)

    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))

    assert texts_sent(bridge.twin) == ["Hi Ana, I'm Jordan. I can help with that."]


def test_long_agent_text_is_split_under_whatsapp_limit(bridge):
    contact_id = bridge.open_chat()
    paragraph = "word " * 800
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id,
                                     Content=f"{paragraph.strip()}\n\n{paragraph.strip()}"))

    bodies = texts_sent(bridge.twin)
    assert len(bodies) == 2
    assert all(len(b) <= 4096 for b in bodies)
    assert sum(b.count("word") for b in bodies) == 1600


def test_failed_whatsapp_send_is_reported_to_the_agent(bridge):
    contact_id = bridge.open_chat()
    bridge.twin.inject_fault(
        "socialmessaging", "SendWhatsAppMessage", "ValidationException", status=400,
        message="(#131047) Re-engagement message: more than 24 hours have passed")
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))

    (note,) = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert note["params"]["Content"].startswith("[WhatsApp bridge] ⚠️ Not delivered to the customer on WhatsApp")
    assert "131047" in note["params"]["Content"]
    assert "template" in note["params"]["Content"]


def test_chat_end_closes_the_session_and_the_next_message_opens_a_new_chat(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-chat-ended"), contact_id))

    closed = session(contact_id)
    assert closed["sessionStatus"] == "closed"
    assert "connectionToken" not in closed and "participantToken" not in closed
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.next", 1763100000, "One more thing")]))
    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["InitialMessage"]["Content"] == "One more thing"


def test_goodbye_after_chat_end_still_reaches_the_customer(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-chat-ended"), contact_id))
    bridge.connect_event(for_contact(load_event("connect-system-message"), contact_id,
                                     Content="Thanks for contacting us. Goodbye!"))

    assert texts_sent(bridge.twin) == ["Thanks for contacting us. Goodbye!"]


def test_customer_leaving_closes_the_session(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-participant-left-customer"), contact_id))

    assert session(contact_id)["sessionStatus"] == "closed"


def test_agent_leaving_closes_nothing(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-participant-left-agent"), contact_id))

    assert session(contact_id)["sessionStatus"] == "open"


def test_message_for_an_unknown_contact_is_logged_and_dropped(bridge):
    bridge.connect_event(load_event("connect-agent-text"))

    assert bridge.twin.sent_whatsapp == []


def test_malformed_streaming_record_is_skipped(bridge):
    contact_id = bridge.open_chat()
    good = for_contact(load_event("connect-agent-text"), contact_id)
    broken = copy.deepcopy(good["Records"][0])
    broken["Sns"]["Message"] = "[]"
    bridge.connect_event({"Records": [broken] + good["Records"]})

    assert len(texts_sent(bridge.twin)) == 1


def test_a_bots_list_picker_goes_out_as_a_whatsapp_list_and_the_tap_comes_back_as_its_full_title(bridge):
    contact_id = bridge.open_chat()
    long_title = "Check the status of my most recent order"
    event = load_event("connect-interactive-listpicker")
    body = json.loads(event["Records"][0]["Sns"]["Message"])
    template = json.loads(body["Content"])
    template["data"]["content"]["elements"][0]["title"] = long_title
    bridge.connect_event(for_contact(event, contact_id, Content=json.dumps(template)))

    (sent,) = messages_sent(bridge.twin)
    interactive = sent["message"]["interactive"]
    assert sent["message"]["type"] == "interactive" and interactive["type"] == "list"
    row = interactive["action"]["sections"][0]["rows"][0]
    assert row["title"] == "Check the status of my…"  # WhatsApp's 24 characters

    bridge.twin.clear_calls()
    tap = {"from": CUSTOMER_WA_ID, "id": "wamid.tap", "timestamp": "1763000500",
           "context": {"from": "15550100100", "id": sent["messageId"]}, "type": "interactive",
           "interactive": {"type": "list_reply", "list_reply": {"id": row["id"], "title": row["title"]}}}
    bridge.deliver(with_messages(load_event("eum-interactive-list-reply"), [tap]))

    (send,) = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert send["params"]["Content"] == long_title  # what a Lex bot matches


def test_reaction_names_the_agent_message_it_reacts_to(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))
    whatsapp_id = bridge.twin.sent_whatsapp[0]["messageId"]
    reaction = {"from": CUSTOMER_WA_ID, "id": "wamid.reaction", "timestamp": "1763200000",
                "type": "reaction", "reaction": {"message_id": whatsapp_id, "emoji": "👍"}}
    bridge.deliver(with_messages(load_event("eum-text"), [reaction]))

    (send,) = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert "👍" in send["params"]["Content"]
    assert "Hi Ana, I'm Jordan." in send["params"]["Content"]


def test_a_retry_after_a_failed_chunk_sends_only_the_chunks_not_yet_sent(bridge):
    contact_id = bridge.open_chat()
    first, second = "first " * 600, "second " * 500
    event = for_contact(load_event("connect-agent-text"), contact_id,
                        Content=f"{first.strip()}\n\n{second.strip()}")
    bridge.twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "InternalServiceException",
                             status=500, times=3, after=1)
    with pytest.raises(ClientError, match="InternalServiceException"):
        bridge.connect_event(event)
    bridge.connect_event(event)

    assert texts_sent(bridge.twin) == [first.strip(), second.strip()]
