"""on_whatsapp_event: End User Messaging Social notifications land in the buffer table, once."""
import copy
import json

import boto3
import pytest

from emulator.reference_events import sns_message, with_webhook_value

REFERENCE_WABA_ARN = "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415"
from tests.conftest import (
    BUFFER_TABLE, CONVERSATION_ID, CUSTOMER_WA_ID, DEFAULT_SETTINGS, PHONE_NUMBER_ARN, load_event,
    put_settings, with_messages,
)


def buffered():
    return boto3.resource("dynamodb").Table(BUFFER_TABLE).scan()["Items"]


def test_text_is_buffered_per_conversation_with_a_ttl(bridge):
    before = int(bridge.twin.clock.timestamp())  # the product reads the twin's clock
    bridge.whatsapp(load_event("eum-text"))

    (item,) = buffered()
    assert item["conversationId"] == CONVERSATION_ID
    assert item["messageKey"] == ("001762956047#"
                                  "wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQ0NENBMUMxM0RFRjlGQkFFODBBOAA=")
    assert item["kind"] == "message"
    assert item["customerId"] == CUSTOMER_WA_ID
    assert item["customerName"] == "Ana Souza"
    assert item["originationId"] == PHONE_NUMBER_ARN
    assert json.loads(item["body"])["text"] == {"body": "Hi, I need help with my order"}
    assert item["wabaId"] == REFERENCE_WABA_ARN
    assert before + 23 * 3600 < item["expiresAt"] <= int(bridge.twin.clock.timestamp()) + 24 * 3600
    (put,) = bridge.twin.calls_to("dynamodb", "PutItem")
    assert put["params"]["ConditionExpression"] == "attribute_not_exists(messageKey)"


def with_context_wabas(event, wabas):
    event = copy.deepcopy(event)
    message = sns_message(event)
    message["context"]["MetaWabaIds"] = wabas
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


def test_the_business_account_is_the_one_the_webhook_entry_names(bridge):
    other = {"wabaId": "999", "arn": "arn:aws:social-messaging:us-east-1:123456789012:waba/other"}
    ours = {"wabaId": "174660489307702", "arn": REFERENCE_WABA_ARN}
    bridge.whatsapp(with_context_wabas(load_event("eum-text"), [other, ours]))
    assert buffered()[0]["wabaId"] == REFERENCE_WABA_ARN


def test_a_context_without_business_accounts_still_buffers_the_message(bridge):
    bridge.whatsapp(with_context_wabas(load_event("eum-text"), [{"wabaId": 1}, "not an object"]))
    assert buffered()[0]["wabaId"] == ""


def test_redelivered_sns_message_is_written_once(bridge):
    event = load_event("eum-text")
    bridge.whatsapp(event)
    bridge.whatsapp(event)

    assert len(buffered()) == 1
    assert len(bridge.stream_records()) == 1


def test_all_messages_of_a_burst_are_buffered(bridge):
    bridge.whatsapp(load_event("eum-text-burst"))

    assert sorted(i["messageKey"][:12] for i in buffered()) == [
        "001762956107", "001762956108", "001762956109"]


def test_sent_delivered_read_statuses_are_not_buffered(bridge):
    bridge.whatsapp(load_event("eum-status-sent-delivered-read"))

    assert buffered() == []


def test_failed_status_is_buffered_for_the_agent(bridge):
    bridge.whatsapp(load_event("eum-status-failed"))

    (item,) = buffered()
    assert item["kind"] == "failed_status"
    assert item["conversationId"] == CONVERSATION_ID
    assert item["messageKey"].endswith("#failed")


def test_reactions_and_stickers_are_dropped_when_ignored(bridge):
    put_settings({**DEFAULT_SETTINGS, "ignore_reactions": "yes", "ignore_stickers": "yes"})
    bridge.whatsapp(load_event("eum-reaction"))
    bridge.whatsapp(load_event("eum-sticker"))

    assert buffered() == []


def test_reactions_and_stickers_are_buffered_when_not_ignored(bridge):
    bridge.whatsapp(load_event("eum-reaction"))
    bridge.whatsapp(load_event("eum-sticker"))

    assert sorted(json.loads(i["body"])["type"] for i in buffered()) == ["reaction", "sticker"]


def test_malformed_record_is_skipped_and_the_rest_of_the_batch_buffered(bridge):
    good = load_event("eum-text")
    broken = copy.deepcopy(good["Records"][0])
    broken["Sns"]["Message"] = "{not json"
    bridge.whatsapp({"Records": [broken] + good["Records"]})

    assert len(buffered()) == 1


def test_customer_without_wa_id_is_keyed_by_business_scoped_user_id(bridge):
    message = {"from_user_id": "US.13491208655302741918", "id": "wamid.bsuid",
               "timestamp": "1762956400", "type": "text", "text": {"body": "username user"}}
    event = with_webhook_value(load_event("eum-text"), messages=[message], contacts=[
        {"profile": {"name": "Ana"}, "user_id": "US.13491208655302741918"}])

    bridge.whatsapp(event)

    (item,) = buffered()
    assert item["conversationId"] == "101996265140636#US.13491208655302741918"
    assert item["customerUserId"] == "US.13491208655302741918"
    assert "customerWaId" not in item


def test_media_whatsapp_no_longer_has_is_a_note_not_a_crash(bridge):
    bridge.deliver(load_event("eum-image"))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert "InitialMessage" not in start["params"]
    (contact_id,) = bridge.twin.contacts
    notes = [i["Content"] for i in bridge.twin.contacts[contact_id]["transcript"]
             if i.get("Type") == "MESSAGE"]
    assert notes == ["[WhatsApp bridge] 📎 The customer sent image-1762956156.jpg (image/jpeg), which could not be "
                     "attached: WhatsApp could not provide the file.", "Photo of the damaged box"]


def test_messages_are_buffered_even_while_the_settings_are_broken(bridge):
    import app as app_module

    put_settings({**DEFAULT_SETTINGS, "instance_id": "INSTANCE_ID"})
    app_module._caches.settings.clear()
    bridge.whatsapp(load_event("eum-text"))
    bridge.whatsapp(load_event("eum-reaction"))

    assert sorted(json.loads(i["body"])["type"] for i in buffered()) == ["reaction", "text"]


def test_what_the_fixed_settings_ignore_is_dropped_at_the_flush(bridge):
    import app as app_module

    put_settings({**DEFAULT_SETTINGS, "instance_id": "INSTANCE_ID"})
    app_module._caches.settings.clear()
    bridge.whatsapp(load_event("eum-reaction"))
    bridge.whatsapp(load_event("eum-text"))
    records = bridge.stream_records()
    assert len(bridge.flush(records)["batchItemFailures"]) == 2

    put_settings({**DEFAULT_SETTINGS, "ignore_reactions": "yes"})
    app_module._caches.settings.clear()
    assert bridge.flush(records) == {"batchItemFailures": []}

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["InitialMessage"]["Content"] == "Hi, I need help with my order"


def logged(capsys, event):
    return [entry for entry in map(json.loads, capsys.readouterr().out.splitlines())
            if entry["event"] == event]


def test_a_malformed_message_is_logged_and_skipped_and_its_neighbour_buffered(bridge, capsys):
    broken = {"from": 15550100001.0, "id": "wamid.float-sender", "timestamp": "1762956300",
              "type": "text", "text": {"body": "lost digits"}}
    good = {"from": CUSTOMER_WA_ID, "id": "wamid.good", "timestamp": "1762956301",
            "type": "text", "text": {"body": "I am still here"}}
    capsys.readouterr()
    bridge.whatsapp(with_messages(load_event("eum-text"), [broken, good]))

    (item,) = buffered()
    assert item["conversationId"] == CONVERSATION_ID
    assert item["messageKey"] == "001762956301#wamid.good"
    assert json.loads(item["body"])["text"] == {"body": "I am still here"}
    (skipped,) = logged(capsys, "malformed_whatsapp_item_skipped")
    assert skipped["level"] == "WARNING"
    assert skipped["where"] == "changes[0].messages[0]"
    assert skipped["reason"] == "the customer's phone number is a float, not a string"
    assert "15550100001" not in json.dumps(skipped)


def test_whole_number_sender_and_profile_name_are_taken_as_their_digits(bridge):
    message = {"from": int(CUSTOMER_WA_ID), "id": "wamid.numeric", "timestamp": 1762956302,
               "type": "text", "text": {"body": "numbers everywhere"}}
    event = with_webhook_value(load_event("eum-text"), messages=[message],
                               contacts=[{"profile": {"name": 42}, "wa_id": int(CUSTOMER_WA_ID)}])

    bridge.whatsapp(event)

    (item,) = buffered()
    assert item["conversationId"] == CONVERSATION_ID
    assert item["customerWaId"] == CUSTOMER_WA_ID
    assert item["customerName"] == "42"


@pytest.mark.parametrize("change, name", [
    ({"metadata": "101996265140636"}, "Ana Souza"),
    ({"contacts": [{"profile": "Ana Souza", "wa_id": CUSTOMER_WA_ID}]}, "WhatsApp customer"),
    ({"contacts": "Ana Souza"}, "WhatsApp customer"),
], ids=["metadata-string", "profile-string", "contacts-string"])
def test_unusable_metadata_or_profile_still_buffers_the_message(bridge, change, name):
    event = with_webhook_value(load_event("eum-text"), **change)

    bridge.whatsapp(event)

    (item,) = buffered()
    assert item["conversationId"] == CONVERSATION_ID
    assert item["originationId"] == PHONE_NUMBER_ARN
    assert item["customerName"] == name


def test_a_status_too_long_for_the_table_key_is_skipped_and_its_neighbour_buffered(bridge, capsys):
    event = load_event("eum-status-failed")
    (status,) = json.loads(sns_message(event)["whatsAppWebhookEntry"])["changes"][0]["value"]["statuses"]
    event = with_webhook_value(event, statuses=[{**status, "id": "wamid." + "x" * 100_000}, status])
    capsys.readouterr()

    bridge.whatsapp(event)

    (item,) = buffered()
    assert item["messageKey"] == f"001763046833#{status['id']}#failed"
    (skipped,) = logged(capsys, "malformed_whatsapp_item_skipped")
    assert skipped["where"] == "changes[0].statuses[0]"
    assert skipped["reason"] == "the status's message id is longer than 256 bytes"
    assert "messageId" not in skipped or skipped["messageId"] is None


def test_a_record_nested_deeper_than_python_parses_is_logged_and_the_next_buffered(bridge, capsys):
    good = load_event("eum-text")
    deep = copy.deepcopy(good["Records"][0])
    envelope = json.loads(deep["Sns"]["Message"])
    envelope["whatsAppWebhookEntry"] = "[" * 100_000 + "]" * 100_000
    deep["Sns"]["Message"] = json.dumps(envelope)
    capsys.readouterr()

    bridge.whatsapp({"Records": [deep] + good["Records"]})

    assert len(buffered()) == 1
    (skipped,) = logged(capsys, "malformed_whatsapp_event_skipped")
    assert skipped["reason"] == "whatsAppWebhookEntry is not valid JSON"
