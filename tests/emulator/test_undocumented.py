"""The twin's strict mode: each behaviour AWS and Meta do not document, turned off."""
import json

import pytest

from emulator.reference_events import sns_message, status_of_sent
from tests.emulator.conftest import control
from tests.emulator.test_connect_rules import Chat
from tests.emulator.test_social import PHONE_ARN, send

TEXT = {"messaging_product": "whatsapp", "to": "15550100001", "type": "text", "text": {"body": "Olá"},
        "biz_opaque_callback_data": "chat-1|message-1"}
ALL_ON = {"callback_data_echo": True, "read_receipts_streamed": True, "message_id_is_wamid": True}


def status_item(event):
    entry = json.loads(sns_message(event)["whatsAppWebhookEntry"])
    (item,) = entry["changes"][0]["value"]["statuses"]
    return item


def sent_text(sdk, twin):
    twin.customer_wrote(PHONE_ARN, "15550100001", twin.clock.timestamp() - 60)
    returned = send(sdk("socialmessaging"), TEXT, phone=PHONE_ARN)["messageId"]
    (record,) = twin.sent_whatsapp
    return returned, record


def test_every_behaviour_is_on_until_turned_off_and_again_after_a_reset(sdk, twin):
    assert twin.undocumented == ALL_ON
    twin.set_undocumented(callback_data_echo=False, message_id_is_wamid=False)
    assert twin.undocumented == ALL_ON | {"callback_data_echo": False, "message_id_is_wamid": False}
    with pytest.raises(TypeError):
        twin.set_undocumented(statuses_in_order=False)

    twin.reset()

    assert twin.undocumented == ALL_ON


def test_by_default_statuses_name_the_returned_id_and_echo_the_callback_data(sdk, twin):
    returned, record = sent_text(sdk, twin)

    item = status_item(status_of_sent(record, "delivered"))

    assert item["id"] == record["wamid"] == returned
    assert item["biz_opaque_callback_data"] == "chat-1|message-1"


def test_without_the_echo_a_status_carries_no_callback_data(sdk, twin):
    twin.set_undocumented(callback_data_echo=False)
    returned, record = sent_text(sdk, twin)

    item = status_item(status_of_sent(record, "read"))

    assert item["id"] == returned and "biz_opaque_callback_data" not in item


def test_when_the_returned_id_is_not_the_wamid_statuses_name_the_wamid(sdk, twin):
    twin.set_undocumented(message_id_is_wamid=False)
    returned, record = sent_text(sdk, twin)

    item = status_item(status_of_sent(record, "delivered"))

    assert record["messageId"] == returned != record["wamid"] == item["id"]
    assert item["id"].startswith("wamid.")
    assert item["biz_opaque_callback_data"] == "chat-1|message-1"


def test_without_streamed_receipts_the_receipt_is_recorded_and_nothing_streams(sdk, twin):
    twin.set_undocumented(read_receipts_streamed=False)
    chat = Chat(sdk)
    message_id = chat.send("Where is my order?")

    event = twin.agent_read_receipt(chat.contact_id, message_id)

    assert event is None
    (receipt,) = chat.item(message_id)["MessageMetadata"]["Receipts"]
    assert receipt["ReadTimestamp"]


def test_the_control_api_sets_the_strict_mode(sdk, twin):
    strict = dict.fromkeys(ALL_ON, False)

    assert control(twin, "POST", "/undocumented", strict) == strict
    assert control(twin, "GET", "/undocumented") == strict == twin.undocumented
