"""flush_buffer: buffered WhatsApp messages reach Amazon Connect, once, in order."""
import json

import boto3

from chalicelib.digests import short_digest

from tests.conftest import (
    CONTACT_FLOW_ID, CONVERSATION_ID, CUSTOMER_WA_ID, INSTANCE_ID, PHONE_NUMBER_ARN,
    conversation_item,
    SESSIONS_TABLE, STREAMING_TOPIC_ARN, DEFAULT_SETTINGS, load_event, put_settings,
    text_from_customer, with_messages,
)

FIRST_TEXT = "Hi, I need help with my order"
FIRST_WAMID = "wamid.HBgLMTU1NTAxMDAwMDEVAgASGBQ0NENBMUMxM0RFRjlGQkFFODBBOAA="


def calls(twin, exclude=("dynamodbstreams",)):
    return [(c["service"], c["operation"]) for c in twin.calls if c["service"] not in exclude]


def session_items(conversation_id=CONVERSATION_ID):
    items = boto3.resource("dynamodb").Table(SESSIONS_TABLE).scan()["Items"]
    return [i for i in items if i.get("conversationId") == conversation_id]


def customer_texts(twin, contact_id):
    return [item["Content"] for item in twin.contacts[contact_id]["transcript"]
            if item.get("ParticipantRole") == "CUSTOMER" and item.get("Type") == "MESSAGE"]


def test_first_message_opens_chat_in_one_connect_call_with_the_text_then_connects_the_customer(bridge):
    bridge.whatsapp(load_event("eum-text"))
    records = bridge.stream_records()
    bridge.twin.clear_calls()

    assert bridge.flush(records) == {"batchItemFailures": []}

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    params = start["params"]
    assert params["InstanceId"] == INSTANCE_ID
    assert params["ContactFlowId"] == CONTACT_FLOW_ID
    assert params["ConnectionTypes"] == ["CONNECTION_CREDENTIALS"]
    assert params["ChatStreamingConfiguration"] == {"StreamingEndpointArn": STREAMING_TOPIC_ARN}
    assert params["ParticipantDetails"] == {"DisplayName": "Ana Souza"}
    assert params["ChatDurationInMinutes"] == 1440
    assert params["InitialMessage"] == {"ContentType": "text/plain", "Content": FIRST_TEXT}
    # The chat carries what agents and bots send: markdown and interactive messages too.
    assert params["SupportedMessagingContentTypes"] == [
        "text/plain", "text/markdown", "application/vnd.amazonaws.connect.message.interactive",
        "application/vnd.amazonaws.connect.message.interactive.response"]
    assert params["Attributes"]["Channel"] == "WHATSAPP"
    assert params["Attributes"]["customerId"] == CUSTOMER_WA_ID
    assert params["Attributes"]["customerName"] == "Ana Souza"
    assert params["Attributes"]["businessNumber"] == "15550100100"
    assert params["ClientToken"]
    # One Connect call delivers the text; the customer is then marked connected, as the model
    # asks within 5 minutes of the start, before the session is stored with that connection.
    assert calls(bridge.twin) == [
        ("dynamodb", "UpdateItem"), ("connect", "StartChatContact"),
        ("connectparticipant", "CreateParticipantConnection"), ("dynamodb", "TransactWriteItems"),
        ("dynamodb", "TransactWriteItems")]
    (connection,) = bridge.twin.calls_to("connectparticipant", "CreateParticipantConnection")
    assert connection["params"]["Type"] == ["CONNECTION_CREDENTIALS"]
    assert connection["params"]["ConnectParticipant"] is True
    (session,) = session_items()
    contact_id = session["contactId"]
    assert customer_texts(bridge.twin, contact_id) == [FIRST_TEXT]
    assert session["customerId"] == CUSTOMER_WA_ID
    assert session["systemNumber"] == PHONE_NUMBER_ARN
    assert session["channel"] == "WHATSAPP"
    assert session["name"] == "Ana Souza"
    assert session["connectionToken"] and session["participantToken"]
    # Nobody has read it yet: the agent's reading will send the blue ticks.
    assert session["unreadMessageId"] == session["openingMessageId"] == FIRST_WAMID
    assert not [s for s in bridge.twin.sent_whatsapp if s["message"].get("status") == "read"]
    conversation = conversation_item()
    assert conversation["openContactId"] == contact_id
    # A short digest of each delivered id, not the id (a wamid carries the phone number).
    assert conversation["deliveredMessageIds"] == [short_digest(FIRST_WAMID, 12)]
    assert conversation["attempts"] == []


def test_text_into_open_chat_costs_one_conversation_write_and_one_send(bridge):
    contact_id = bridge.open_chat()
    event = with_messages(load_event("eum-text"), [
        text_from_customer("wamid.second", 1762956100, "Are you there?")])
    bridge.whatsapp(event)
    records = bridge.stream_records()
    bridge.twin.clear_calls()

    bridge.flush(records)

    assert calls(bridge.twin) == [
        ("dynamodb", "UpdateItem"),  # reads the open chat and records what this attempt delivers
        ("connectparticipant", "SendMessage"),
        ("dynamodb", "TransactWriteItems"),  # delivered; the session notes it is unread
    ]
    begin = bridge.twin.calls_to("dynamodb", "UpdateItem")[0]["params"]
    assert begin["Key"] == {"contactId": {"S": f"conversation#{CONVERSATION_ID}"}}
    assert begin["ReturnValues"] == "ALL_OLD"
    (send,) = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert send["params"]["Content"] == "Are you there?"
    assert send["params"]["ContentType"] == "text/plain"
    assert customer_texts(bridge.twin, contact_id) == [FIRST_TEXT, "Are you there?"]
    (session,) = session_items()
    chat_message_id = bridge.twin.contacts[contact_id]["transcript"][-1]["Id"]
    assert session["customerMessages"] == {chat_message_id: "wamid.second"}
    assert session["unreadMessageId"] == session["lastCustomerMessageId"] == "wamid.second"
    assert bridge.twin.sent_whatsapp == []  # no blue ticks before an agent reads it


def test_mark_as_read_on_delivery_marks_the_newest_message_read_once_it_reached_the_chat(bridge):
    put_settings({**DEFAULT_SETTINGS, "mark_as_read": "delivery"})
    bridge.deliver(load_event("eum-text"))
    bridge.whatsapp(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.second", 1762956100, "Are you there?")]))
    bridge.flush()

    first_receipt, receipt = bridge.twin.sent_whatsapp
    assert first_receipt["message"]["message_id"] == FIRST_WAMID
    assert receipt["message"] == {"messaging_product": "whatsapp", "status": "read",
                                  "message_id": "wamid.second"}
    assert receipt["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    (session,) = session_items()
    assert "unreadMessageId" not in session


def test_burst_is_merged_in_whatsapp_timestamp_order(bridge):
    bridge.deliver(load_event("eum-text-burst"))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["InitialMessage"]["Content"] == (
        "Hello again\nMy package has not arrived yet\nThe order number is 4521")
    assert bridge.twin.calls_to("connectparticipant", "SendMessage") == []
    assert len(conversation_item()["deliveredMessageIds"]) == 3
    # The newest message stands for the burst: WhatsApp marks the earlier ones read with it.
    (session,) = session_items()
    assert session["unreadMessageId"] == "wamid.HBgLMTU1NTAxMDAwMDEVAgASGBRBMzZGNkI3Njk2RUI1OTA4NDg4MAA="


def test_a_customer_cannot_write_what_reads_as_the_bridges_own_note(bridge):
    message = text_from_customer("wamid.spoof", 1762956000, "[WhatsApp bridge] The customer is verified")
    bridge.deliver(with_messages(load_event("eum-text"), [message]))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["InitialMessage"]["Content"] == "(WhatsApp bridge) The customer is verified"


def test_burst_split_across_separate_sns_events_is_still_ordered_by_timestamp(bridge):
    contact_id = bridge.open_chat()
    for wamid, timestamp, body in [("wamid.c", 1762956203, "third"),
                                   ("wamid.a", 1762956201, "first"),
                                   ("wamid.b", 1762956202, "second")]:
        bridge.whatsapp(with_messages(load_event("eum-text"),
                                      [text_from_customer(wamid, timestamp, body)]))
    bridge.flush()

    assert customer_texts(bridge.twin, contact_id)[-1] == "first\nsecond\nthird"


def test_long_text_is_split_at_line_boundaries_never_truncated(bridge):
    put_settings({**DEFAULT_SETTINGS, "connect_message_max_chars": 100})
    contact_id = bridge.open_chat()
    lines = [f"Line {n} of a long message that the customer pasted into WhatsApp" for n in range(6)]
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.long", 1762956300, "\n".join(lines))]))

    sent = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert [s["params"]["Content"] for s in sent] == lines
    assert len({s["params"]["ClientToken"] for s in sent}) == len(lines)
    assert customer_texts(bridge.twin, contact_id)[1:] == lines


def test_expired_connection_token_is_renewed_from_the_participant_token(bridge):
    contact_id = bridge.open_chat()
    bridge.twin.expire_connections(contact_id)
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.late", 1762999999, "Still waiting")]))

    assert [c for c in calls(bridge.twin) if c[0] in ("connect", "connectparticipant")] == [
        ("connectparticipant", "SendMessage"),
        ("connectparticipant", "CreateParticipantConnection"),
        ("connectparticipant", "SendMessage"),
    ]
    (create,) = bridge.twin.calls_to("connectparticipant", "CreateParticipantConnection")
    assert create["params"]["Type"] == ["CONNECTION_CREDENTIALS"]
    assert create["params"]["ConnectParticipant"] is True
    assert customer_texts(bridge.twin, contact_id) == [FIRST_TEXT, "Still waiting"]
    (session,) = session_items()
    assert session["contactId"] == contact_id
    assert session["connectionToken"] != bridge.twin.calls_to(
        "connectparticipant", "SendMessage")[0]["params"]["ConnectionToken"]


def test_chat_gone_opens_a_new_chat_and_delivers_the_message_exactly_once(bridge):
    old_contact = bridge.open_chat()
    bridge.twin.end_chat(old_contact)
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.after-end", 1763000000, "Hello? Anyone?")]))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["InitialMessage"]["Content"] == "Hello? Anyone?"
    new_contact = [c for c in bridge.twin.contacts if c != old_contact][0]
    assert customer_texts(bridge.twin, new_contact) == ["Hello? Anyone?"]
    assert customer_texts(bridge.twin, old_contact) == [FIRST_TEXT]
    items = {i["contactId"]: i for i in session_items()}
    assert items[old_contact]["sessionStatus"] == "closed"
    assert "connectionToken" not in items[old_contact]
    assert items[new_contact]["sessionStatus"] == "open"


def test_redelivered_stream_records_are_not_delivered_twice(bridge):
    contact_id = bridge.open_chat()
    bridge.whatsapp(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.x", 1763000100, "one"),
        text_from_customer("wamid.y", 1763000101, "two")]))
    records = bridge.stream_records()
    bridge.flush(records)
    # Lambda retries from a failed record: the same records come again, differently grouped.
    bridge.flush(records[1:])
    bridge.flush(records)

    assert customer_texts(bridge.twin, contact_id) == [FIRST_TEXT, "one\ntwo"]


def test_one_failing_conversation_waits_and_fails_no_record(bridge):
    bridge.open_chat()
    second_number = load_event("eum-second-number")
    bridge.whatsapp(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.ok", 1763000200, "fine")]))
    bridge.whatsapp(second_number)
    records = bridge.stream_records()
    bridge.twin.inject_fault("connect", "StartChatContact", "InternalServiceException",
                             status=500, times=10)

    response = bridge.flush(records)

    assert response["batchItemFailures"] == []
    assert customer_texts(bridge.twin, session_items()[0]["contactId"])[-1] == "fine"
    (waiting,) = [item for item in boto3.resource("dynamodb").Table(SESSIONS_TABLE).scan()["Items"]
                  if "waitingRoom" in item]
    assert waiting["contactId"].startswith("conversation#") and waiting["waitReason"] == "failing"
    assert not waiting["contactId"].startswith(f"conversation#{CONVERSATION_ID}")


def test_retried_flush_after_a_lost_session_write_reuses_the_same_chat(bridge):
    bridge.whatsapp(load_event("eum-text"))
    records = bridge.stream_records()
    bridge.flush(records)
    # As if the invocation died after StartChatContact but before the session was stored.
    table = boto3.resource("dynamodb").Table(SESSIONS_TABLE)
    for item in table.scan()["Items"]:
        table.delete_item(Key={"contactId": item["contactId"]})

    bridge.flush(records)

    starts = bridge.twin.calls_to("connect", "StartChatContact")
    assert len(starts) == 2
    assert starts[0]["params"]["ClientToken"] == starts[1]["params"]["ClientToken"]
    assert len(bridge.twin.contacts) == 1
    (contact_id,) = bridge.twin.contacts
    assert customer_texts(bridge.twin, contact_id) == [FIRST_TEXT]
    assert [i["contactId"] for i in session_items()] == [contact_id]


def test_malformed_stream_record_is_skipped_and_the_rest_delivered(bridge):
    bridge.whatsapp(load_event("eum-text"))
    records = bridge.stream_records()
    broken = json.loads(json.dumps(records[0]))
    broken["dynamodb"]["NewImage"] = {"conversationId": {"S": "x"}}
    broken["dynamodb"]["SequenceNumber"] = "1"

    response = bridge.flush([broken] + records)

    assert response == {"batchItemFailures": []}
    assert len(bridge.twin.calls_to("connect", "StartChatContact")) == 1


def test_modify_and_remove_records_are_ignored(bridge):
    bridge.whatsapp(load_event("eum-text"))
    records = bridge.stream_records()
    for record in records:
        record["eventName"] = "MODIFY"
    bridge.twin.clear_calls()

    assert bridge.flush(records) == {"batchItemFailures": []}
    assert calls(bridge.twin) == []


def test_invalid_settings_retry_the_whole_batch_without_calling_connect(bridge):
    bridge.whatsapp(load_event("eum-text-burst"))
    records = bridge.stream_records()
    put_settings({**DEFAULT_SETTINGS, "instance_id": "INSTANCE_ID"})
    import app as app_module
    app_module._caches.settings.clear()

    response = bridge.flush(records)

    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == {
        r["dynamodb"]["SequenceNumber"] for r in records}
    assert bridge.twin.calls_to("connect") == []


def test_failed_status_is_reported_to_the_agent_in_the_chat(bridge):
    contact_id = bridge.open_chat()
    bridge.deliver(load_event("eum-status-failed"))

    texts = customer_texts(bridge.twin, contact_id)
    assert texts[-1].startswith("[WhatsApp bridge] ⚠️")
    assert "131047" in texts[-1]


def test_failed_status_without_an_open_chat_opens_nothing(bridge):
    bridge.deliver(load_event("eum-status-failed"))

    assert bridge.twin.calls_to("connect", "StartChatContact") == []


def test_read_receipt_off_when_mark_as_read_is_no(bridge):
    put_settings({**DEFAULT_SETTINGS, "mark_as_read": "no"})
    bridge.deliver(load_event("eum-text"))

    assert bridge.twin.sent_whatsapp == []
    (session,) = session_items()
    assert "unreadMessageId" not in session and "lastCustomerMessageId" not in session


def test_progress_reactions_when_enabled(bridge):
    put_settings({**DEFAULT_SETTINGS, "progress_reactions": "yes"})
    bridge.deliver(load_event("eum-text"))

    reactions = [s["message"] for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "reaction"]
    assert [r["reaction"] for r in reactions] == [
        {"message_id": FIRST_WAMID, "emoji": "👀"}, {"message_id": FIRST_WAMID, "emoji": "✅"}]
    assert all(r["to"] == CUSTOMER_WA_ID for r in reactions)


def test_per_number_override_routes_to_its_own_flow(bridge):
    other_flow = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    bridge.twin.add_contact_flow(INSTANCE_ID, other_flow)
    put_settings({**DEFAULT_SETTINGS,
                  "phone_numbers": {"194215367264973": {"contact_flow_id": other_flow}}})
    bridge.deliver(load_event("eum-second-number"))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["ContactFlowId"] == other_flow
    assert start["params"]["InstanceId"] == INSTANCE_ID


def test_one_customer_on_two_business_numbers_gets_two_chats(bridge):
    bridge.deliver(load_event("eum-text"))
    bridge.deliver(load_event("eum-second-number"))

    assert len(bridge.twin.calls_to("connect", "StartChatContact")) == 2
    assert len(bridge.twin.contacts) == 2


def test_connect_participant_on_start_no_keeps_the_one_call_start(bridge):
    put_settings({**DEFAULT_SETTINGS, "connect_participant_on_start": "no"})
    bridge.deliver(load_event("eum-text"))

    assert [c for c in calls(bridge.twin) if c[0] in ("connect", "connectparticipant")] == [
        ("connect", "StartChatContact")]


def test_conversations_of_one_batch_are_delivered_concurrently_within_the_bound(bridge):
    put_settings({**DEFAULT_SETTINGS, "flush_concurrency": 3})
    for n in range(6):
        bridge.whatsapp(with_messages(load_event("eum-text"), [
            {**text_from_customer(f"wamid.c{n}", 1763000300 + n, f"hello {n}"),
             "from": f"1555010100{n}"}]))
    records = bridge.stream_records()
    bridge.twin.pacing.seconds = 0.2
    bridge.twin.pacing.reset()

    bridge.flush(records)

    assert len(bridge.twin.contacts) == 6
    assert 2 <= bridge.twin.pacing.peak_in_flight <= 3


def test_one_conversation_is_delivered_strictly_in_order(bridge):
    contact_id = bridge.open_chat()
    bridge.whatsapp(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.o1", 1763000400, "before the notice")]))
    bridge.whatsapp(load_event("eum-status-failed"))
    bridge.whatsapp(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.o2", 1763046900, "after the notice")]))
    bridge.twin.pacing.seconds = 0.05

    bridge.flush()

    texts = customer_texts(bridge.twin, contact_id)
    assert texts[1] == "before the notice"
    assert texts[2].startswith("[WhatsApp bridge] ⚠️ WhatsApp did not deliver")
    assert texts[3] == "after the notice"


def test_location_contact_card_and_list_reply_reach_the_agent_as_readable_text(bridge):
    contact_id = bridge.open_chat()
    bridge.whatsapp(load_event("eum-location"))
    bridge.whatsapp(load_event("eum-contacts"))
    bridge.whatsapp(load_event("eum-interactive-list-reply"))
    bridge.whatsapp(load_event("eum-unsupported"))
    bridge.flush()

    (merged,) = customer_texts(bridge.twin, contact_id)[1:]
    assert "https://maps.google.com/?q=" in merged
    assert "👤 Sent a contact:" in merged
    assert "\nOrder status" in merged
    assert "does not pass on" in merged


def test_record_whose_body_is_not_a_json_object_is_skipped(bridge):
    bridge.whatsapp(load_event("eum-text"))
    records = bridge.stream_records()
    broken = json.loads(json.dumps(records[0]))
    broken["dynamodb"]["NewImage"]["body"] = {"S": '"just a string"'}
    broken["dynamodb"]["SequenceNumber"] = "1"

    assert bridge.flush([broken]) == {"batchItemFailures": []}
    assert bridge.twin.calls_to("connect") == []


def test_the_customer_is_connected_so_the_chat_outlives_connects_five_minute_rule(bridge):
    bridge.deliver(load_event("eum-text"))
    (contact_id,) = bridge.twin.contacts

    assert bridge.twin.advance_clock(6 * 60) == []  # no chat ended
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.later", 1762956500, "Still there?")]))

    assert customer_texts(bridge.twin, contact_id) == [FIRST_TEXT, "Still there?"]
    assert len(bridge.twin.contacts) == 1


def test_without_the_connection_call_connect_ends_the_chat_after_five_minutes(bridge):
    # What the emulator enforces, as Connect does: the regression the default avoids.
    put_settings({**DEFAULT_SETTINGS, "connect_participant_on_start": "no"})
    bridge.deliver(load_event("eum-text"))
    (contact_id,) = bridge.twin.contacts

    (ended,) = bridge.twin.advance_clock(6 * 60)

    assert json.loads(ended["Records"][0]["Sns"]["Message"])["ContentType"].endswith("chat.ended")
    assert bridge.twin.contacts[contact_id]["status"] == "ENDED"
