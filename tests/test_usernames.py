"""Customers with usernames: WhatsApp names them by business-scoped user id (BSUID) and maybe not by
number. Replies go where Meta takes them, and one customer keeps one chat whichever ids a webhook
names (chalicelib/identities.py)."""
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import templates, whatsapp
from emulator.reference_events import status_of_sent
from emulator.social import BSUID_IN_TO
from tests.conftest import (
    CUSTOMER_WA_ID, DEFAULT_SETTINGS, PHONE_NUMBER_ARN, PHONE_NUMBER_ID, SESSIONS_TABLE, load_event,
    put_settings, sns_message, text_from_customer, with_messages,
)
from tests.test_outbound import for_contact

BSUID = "US.13491208655302741918"
USER_CONVERSATION = f"{PHONE_NUMBER_ID}#{BSUID}"
PHONE_CONVERSATION = f"{PHONE_NUMBER_ID}#{CUSTOMER_WA_ID}"
FIRST_TEXT = "Hi, I need help with my order"
USERNAME_TEXT = "Hi, it's Ana again, from my username now"
BOTH_IDS_TEXT = "Can I change the delivery address?"
AGENT_TEXT = "Hi Ana, I'm Jordan. I can help with that."
AGENT_MESSAGE_ID = sns_message(load_event("connect-agent-text"))["Id"]
DELIVERED = "application/vnd.amazonaws.connect.event.message.delivered"
READ = "application/vnd.amazonaws.connect.event.message.read"


def the_chat(twin) -> str:
    (contact_id,) = twin.contacts
    return contact_id


def customer_lines(twin, contact_id) -> list[str]:
    return [item["Content"] for item in twin.contacts[contact_id]["transcript"]
            if item.get("ParticipantRole") == "CUSTOMER" and item.get("Type") == "MESSAGE"]


def table():
    return boto3.resource("dynamodb").Table(SESSIONS_TABLE)


def conversation(conversation_id) -> dict:
    return table().get_item(Key={"contactId": f"conversation#{conversation_id}"},
                            ConsistentRead=True).get("Item", {})


def agent_replies(bridge, contact_id) -> dict:
    """The agent's reference text into the chat; the WhatsApp message it became."""
    bridge.twin.sent_whatsapp.clear()
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id))
    (sent,) = [s for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text"]
    return sent


def product_calls(twin) -> list[tuple[str, str]]:
    return [(c["service"], c["operation"]) for c in twin.calls if c["service"] != "dynamodbstreams"]


def test_a_reply_to_a_username_only_customer_goes_to_their_bsuid_in_recipient_with_no_to(bridge):
    bridge.deliver(load_event("eum-text-username"))
    contact_id = the_chat(bridge.twin)

    sent = agent_replies(bridge, contact_id)

    assert sent["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert sent["message"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "recipient": BSUID,
        "type": "text", "text": {"body": AGENT_TEXT, "preview_url": False},
        "biz_opaque_callback_data": f"{contact_id}|{AGENT_MESSAGE_ID}"}
    # Meta knows the customer wrote from their username minutes ago: the reply reaches them.
    assert "failure" not in sent


def test_the_bridges_own_messages_to_a_username_only_customer_go_by_recipient_too(bridge):
    put_settings({**DEFAULT_SETTINGS, "progress_reactions": "yes"})

    bridge.deliver(load_event("eum-text-username"))

    reactions = [s["message"] for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "reaction"]
    assert [(r.get("recipient"), "to" in r, r["reaction"]["emoji"]) for r in reactions] == [
        (BSUID, False, "👀"), (BSUID, False, "✅")]


@pytest.mark.parametrize("payload", [
    lambda to: whatsapp.text_message(to, "Hello"),
    lambda to: whatsapp.interactive_message(to, {"type": "button"}),
    lambda to: whatsapp.reaction_message(to, "wamid.x", "👍"),
    lambda to: whatsapp.media_message(to, "document", "123", filename="a.pdf"),
    lambda to: templates.whatsapp_payload(to, templates.Template(
        name="welcome_back", language="en_US", category="MARKETING", status="APPROVED",
        parameter_format="POSITIONAL", header_text="", body_text="Hi", footer_text="",
        body_parameters=(), unsupported=""), ()),
], ids=["text", "interactive", "reaction", "media", "template"])
def test_every_message_names_a_number_in_to_and_a_bsuid_in_recipient(payload):
    assert {k: v for k, v in payload(CUSTOMER_WA_ID).items() if k in ("to", "recipient")} == {
        "to": CUSTOMER_WA_ID}
    assert {k: v for k, v in payload(BSUID).items() if k in ("to", "recipient")} == {"recipient": BSUID}


def test_a_customer_seen_with_both_ids_then_by_username_alone_stays_in_the_same_chat(bridge):
    bridge.deliver(load_event("eum-text-username-and-number"))
    contact_id = the_chat(bridge.twin)
    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    # Flows that route on the number keep it; the user id comes beside it.
    assert (start["params"]["Attributes"]["customerId"],
            start["params"]["Attributes"]["customerUserId"]) == (CUSTOMER_WA_ID, BSUID)
    bridge.twin.clear_calls()

    bridge.deliver(load_event("eum-text-username"))

    assert list(bridge.twin.contacts) == [contact_id]
    assert customer_lines(bridge.twin, contact_id) == [BOTH_IDS_TEXT, USERNAME_TEXT]
    # The hot path as for any text into an open chat: buffer, conversation, chat.
    calls = product_calls(bridge.twin)
    assert calls[:3] == [("dynamodb", "PutItem"), ("dynamodb", "UpdateItem"),
                         ("connectparticipant", "SendMessage")]
    assert conversation(USER_CONVERSATION)["openContactId"] == contact_id
    # The chat knows the number: replies go to it, as Meta recommends.
    assert agent_replies(bridge, contact_id)["message"]["to"] == CUSTOMER_WA_ID


def test_a_username_only_customer_who_then_shows_their_number_stays_in_the_same_chat(bridge):
    bridge.deliver(load_event("eum-text-username"))
    contact_id = the_chat(bridge.twin)

    bridge.deliver(load_event("eum-text-username-and-number"))

    assert list(bridge.twin.contacts) == [contact_id]
    assert customer_lines(bridge.twin, contact_id) == [USERNAME_TEXT, BOTH_IDS_TEXT]
    assert conversation(USER_CONVERSATION)["openContactId"] == contact_id
    assert "openContactId" not in conversation(PHONE_CONVERSATION)


def test_a_chat_opened_under_the_number_moves_to_the_bsuid_when_both_ids_arrive(bridge):
    bridge.deliver(load_event("eum-text"))  # before BSUIDs: the number alone
    contact_id = the_chat(bridge.twin)
    bridge.twin.clear_calls()

    bridge.deliver(load_event("eum-text-username-and-number"))

    assert list(bridge.twin.contacts) == [contact_id]
    assert customer_lines(bridge.twin, contact_id) == [FIRST_TEXT, BOTH_IDS_TEXT]
    # Off the hot path, once: the number's conversation is read and its chat adopted.
    assert product_calls(bridge.twin)[:5] == [
        ("dynamodb", "PutItem"), ("dynamodb", "UpdateItem"), ("dynamodb", "GetItem"),
        ("dynamodb", "TransactWriteItems"), ("connectparticipant", "SendMessage")]
    phone, user = conversation(PHONE_CONVERSATION), conversation(USER_CONVERSATION)
    assert "openContactId" not in phone and phone["userConversationId"] == USER_CONVERSATION
    assert user["openContactId"] == contact_id
    session = table().get_item(Key={"contactId": contact_id})["Item"]
    assert (session["conversationId"], session["customerUserId"]) == (USER_CONVERSATION, BSUID)

    bridge.twin.clear_calls()
    bridge.deliver(load_event("eum-text-username"))  # then the number disappears

    assert list(bridge.twin.contacts) == [contact_id]
    assert customer_lines(bridge.twin, contact_id) == [FIRST_TEXT, BOTH_IDS_TEXT, USERNAME_TEXT]
    assert product_calls(bridge.twin)[:3] == [("dynamodb", "PutItem"), ("dynamodb", "UpdateItem"),
                                              ("connectparticipant", "SendMessage")]
    assert agent_replies(bridge, contact_id)["message"]["to"] == CUSTOMER_WA_ID


def test_a_reply_with_both_ids_to_a_template_sent_to_the_number_opens_the_campaigns_chat(bridge):
    campaign = {"templateName": "order_update", "language": "en_US", "text": "Order update",
                "attributes": {"campaign": "autumn-shipping"}, "whatsappMessageId": "wamid.t-1",
                "sentAt": 1762956400 - 3600}
    table().put_item(Item={"contactId": f"conversation#{PHONE_CONVERSATION}", "campaign": campaign})

    bridge.deliver(load_event("eum-text-username-and-number"))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["Attributes"]["campaign"] == "autumn-shipping"
    assert start["params"]["InitialMessage"]["Content"].startswith(
        "[WhatsApp bridge] 📋 The business started this conversation with the template "
        "order_update (en_US)")
    # Used once, wherever it waited.
    assert "campaign" not in conversation(PHONE_CONVERSATION)
    assert conversation(PHONE_CONVERSATION)["userConversationId"] == USER_CONVERSATION


def test_start_conversation_refuses_a_number_whose_chat_lives_under_the_bsuid(bridge):
    bridge.deliver(load_event("eum-text-username-and-number"))
    bridge.twin.sent_whatsapp.clear()

    answer = bridge.invoke("start_conversation", {
        "customerNumber": "+15550100001", "templateName": "welcome_back",
        "phoneNumberId": "phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75"})

    assert answer["status"] == "error" and "open chat" in answer["error"]
    assert bridge.twin.sent_whatsapp == []


def test_what_names_the_number_alone_still_reaches_the_chat_kept_under_the_bsuid(bridge):
    bridge.deliver(load_event("eum-text-username-and-number"))
    contact_id = the_chat(bridge.twin)

    # Meta's failed status for a message sent to the number names the number alone.
    bridge.deliver(load_event("eum-status-failed"))
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.number-only", 1762956500, "Sent from an old phone")]))

    assert list(bridge.twin.contacts) == [contact_id]
    lines = [item["Content"] for item in bridge.twin.contacts[contact_id]["transcript"]
             if item.get("Type") == "MESSAGE"]
    assert lines[0] == BOTH_IDS_TEXT
    assert lines[-1] == "Sent from an old phone"
    assert any(line.startswith("[WhatsApp bridge] ⚠️") and "131047" in line for line in lines)
    assert "openContactId" not in conversation(PHONE_CONVERSATION)


def test_a_status_naming_only_the_bsuid_becomes_the_agents_receipt(bridge):
    bridge.deliver(load_event("eum-text-username"))
    contact_id = the_chat(bridge.twin)
    reply = bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                content="Your parcel left the depot today.")
    connect_message_id = json.loads(reply["Records"][0]["Sns"]["Message"])["Id"]
    bridge.connect_event(reply)
    (sent,) = [s for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text"]
    bridge.twin.clear_calls()

    delivered, read = status_of_sent(sent, "delivered"), status_of_sent(sent, "read")
    (status,) = json.loads(sns_message(read)["whatsAppWebhookEntry"])["changes"][0]["value"]["statuses"]
    assert status["recipient_user_id"] == BSUID and "recipient_id" not in status
    bridge.whatsapp(delivered)
    bridge.whatsapp(read)

    events = bridge.twin.calls_to("connectparticipant", "SendEvent")
    assert [(e["params"]["ContentType"], json.loads(e["params"]["Content"])) for e in events] == [
        (DELIVERED, {"messageId": connect_message_id}), (READ, {"messageId": connect_message_id})]


def test_the_twin_refuses_a_bsuid_in_to_and_takes_it_in_recipient(bridge):
    social = boto3.client("socialmessaging")
    bridge.twin.customer_wrote(PHONE_NUMBER_ARN, BSUID, bridge.twin.clock.timestamp() - 60)

    def send(**addressee):
        message = {"messaging_product": "whatsapp", "recipient_type": "individual", **addressee,
                   "type": "text", "text": {"body": "Hello"}}
        return social.send_whatsapp_message(originationPhoneNumberId=PHONE_NUMBER_ARN,
                                            metaApiVersion="v20.0", message=json.dumps(message).encode())

    with pytest.raises(ClientError) as refused:
        send(to=BSUID)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == BSUID_IN_TO
    assert send(recipient=BSUID)["messageId"]
    (sent,) = bridge.twin.sent_whatsapp
    assert "failure" not in sent  # the customer's window is open under their BSUID
