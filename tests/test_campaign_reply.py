"""A customer's reply to start_conversation's template opens a chat that carries the campaign."""
import boto3

from tests.conftest import CONVERSATION_ID, SESSIONS_TABLE, conversation_item, load_event
from tests.test_window import EUM_TEXT_TIMESTAMP

CAMPAIGN = {"templateName": "order_update", "language": "en_US",
            "text": "Order update\nHi Ana, your order #4417 has shipped and arrives Friday.",
            "attributes": {"campaign": "autumn-shipping", "queue": "Deliveries"},
            "whatsappMessageId": "wamid.template-1", "sentAt": EUM_TEXT_TIMESTAMP - 3600}


def sent_campaign(campaign=CAMPAIGN):
    boto3.resource("dynamodb").Table(SESSIONS_TABLE).put_item(
        Item={"contactId": f"conversation#{CONVERSATION_ID}", "campaign": campaign})


def test_the_reply_opens_a_chat_with_the_campaigns_attributes_and_the_template_first(bridge):
    sent_campaign()

    bridge.deliver(load_event("eum-text"))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    attributes = start["params"]["Attributes"]
    assert attributes["campaign"] == "autumn-shipping" and attributes["queue"] == "Deliveries"
    assert attributes["campaignTemplate"] == "order_update"
    assert attributes["Channel"] == "WHATSAPP"
    assert start["params"]["InitialMessage"]["Content"] == (
        "[WhatsApp bridge] 📋 The business started this conversation with the template "
        "order_update (en_US); the customer read:\nOrder update\n"
        "Hi Ana, your order #4417 has shipped and arrives Friday.")
    (reply,) = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert reply["params"]["Content"] == "Hi, I need help with my order"
    # Used once: the next chat of this conversation is an ordinary one.
    assert "campaign" not in conversation_item()


def test_the_bridges_own_attributes_win_a_clash(bridge):
    sent_campaign(CAMPAIGN | {"attributes": {"Channel": "SMS", "customerId": "someone-else"}})
    bridge.deliver(load_event("eum-text"))
    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["Attributes"]["Channel"] == "WHATSAPP"
    assert start["params"]["Attributes"]["customerId"] != "someone-else"


def test_a_reply_a_week_later_opens_an_ordinary_chat(bridge):
    sent_campaign(CAMPAIGN | {"sentAt": EUM_TEXT_TIMESTAMP - 8 * 24 * 3600})
    bridge.deliver(load_event("eum-text"))
    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert "campaign" not in start["params"]["Attributes"]
    assert start["params"]["InitialMessage"]["Content"] == "Hi, I need help with my order"
