"""WhatsApp's 24-hour window: kept from the customer's messages, told to the agent, never crossed free-form."""
import boto3

from emulator.reference_events import status_of_sent
from tests.conftest import (
    DEFAULT_SETTINGS, SESSIONS_TABLE, load_event, put_settings, text_from_customer,
    with_messages,
)
from tests.test_outbound import for_contact, messages_sent, session

EUM_TEXT_TIMESTAMP = 1762956047
HOUR = 3600


def notes_to_agent(twin):
    """What the bridge said in the chat (a call refused for an expired token said nothing)."""
    return [c["params"]["Content"] for c in twin.calls_to("connectparticipant", "SendMessage")
            if c["error"] is None]


def agent_says(bridge, contact_id, text, message_id="agent-message-1"):
    bridge.connect_event(for_contact(load_event("connect-agent-text"), contact_id, Id=message_id,
                                     Content=text))


def forget_on_session(contact_id, attribute):
    """The session as a chat opened before the bridge kept `attribute` left it."""
    boto3.client("dynamodb").update_item(TableName=SESSIONS_TABLE, Key={"contactId": {"S": contact_id}},
                                         UpdateExpression=f"REMOVE {attribute}")


def hours_after_customer_wrote(bridge, hours):
    """Moves the twin's clock (which the bridge reads too) to `hours` after eum-text was written."""
    bridge.twin.advance_clock(EUM_TEXT_TIMESTAMP + hours * HOUR - bridge.twin.clock.timestamp())


def test_the_session_keeps_when_the_customer_last_wrote_from_whatsapps_timestamps(bridge):
    contact_id = bridge.open_chat()
    assert session(contact_id)["customerWroteAt"] == EUM_TEXT_TIMESTAMP
    assert session(contact_id)["wabaId"] == (
        "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415")

    bridge.deliver(with_messages(load_event("eum-text"),
                                 [text_from_customer("wamid.later", EUM_TEXT_TIMESTAMP + 600, "still there?")]))

    assert session(contact_id)["customerWroteAt"] == EUM_TEXT_TIMESTAMP + 600


def test_inside_the_window_the_agents_message_goes_out_with_no_note(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 20)

    agent_says(bridge, contact_id, "Your order ships today.")

    assert [m["message"]["text"]["body"] for m in messages_sent(bridge.twin)] == ["Your order ships today."]
    assert notes_to_agent(bridge.twin) == []


def test_outside_the_window_nothing_is_sent_and_the_agent_reads_why_with_the_approved_templates(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 25)

    agent_says(bridge, contact_id, "Are you still there?")

    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    (note,) = notes_to_agent(bridge.twin)
    assert note == (
        "[WhatsApp bridge] ⛔ Not sent: WhatsApp's 24-hour window with this customer closed at "
        "14:00 UTC on 13 Nov 2025, "
        "24 hours after their last message. Only an approved template can reach them now: "
        "/template NAME [LANGUAGE] [PARAMETER …] (/templates lists them).\n"
        "Approved templates:\n"
        "appointment_reminder (en_US, UTILITY)\n"
        "order_update (en_US, UTILITY)\n"
        "order_update (pt_BR, UTILITY)\n"
        "welcome_back (en_US, MARKETING)")
    (listed,) = bridge.twin.calls_to("socialmessaging", "ListWhatsAppMessageTemplates")
    assert listed["params"]["id"] == session(contact_id)["wabaId"]
    # Done with: the message is not tried again, and its redelivery tells the agent nothing new.
    agent_says(bridge, contact_id, "Are you still there?")
    assert len(notes_to_agent(bridge.twin)) == 1
    assert session(contact_id)["windowClosedToldFor"] == EUM_TEXT_TIMESTAMP


def test_each_further_message_gets_one_line_without_the_list_again(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 25)

    agent_says(bridge, contact_id, "Are you still there?", "agent-message-1")
    agent_says(bridge, contact_id, "Hello?", "agent-message-2")

    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    first, second = notes_to_agent(bridge.twin)
    assert "Approved templates:" in first
    assert second == ("[WhatsApp bridge] ⛔ Not sent: WhatsApp's 24-hour window with this customer closed "
                      "at 14:00 UTC "
                      "on 13 Nov 2025. Only a template reaches them: /template NAME [LANGUAGE] "
                      "[PARAMETER …].")


def test_an_agents_file_outside_the_window_is_not_sent_either(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 30)

    bridge.connect_event(bridge.twin.agent_attachment_event(
        contact_id, name="invoice.pdf", content_type="application/pdf", data=b"%PDF-1.4 invoice"))

    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    assert bridge.twin.calls_to("connectparticipant", "GetAttachment") == []
    (note,) = notes_to_agent(bridge.twin)
    assert note.startswith("[WhatsApp bridge] ⛔ Not sent: WhatsApp's 24-hour window")


def test_the_customer_writing_again_opens_a_new_window(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 26)
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.back", EUM_TEXT_TIMESTAMP + 26 * HOUR - 5, "I'm back")]))
    bridge.twin.clear_calls()

    agent_says(bridge, contact_id, "Welcome back!")

    assert [m["message"]["text"]["body"] for m in messages_sent(bridge.twin)] == ["Welcome back!"]


def test_a_listing_that_fails_still_tells_the_agent_the_window_closed(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 25)
    bridge.twin.inject_fault("socialmessaging", "ListWhatsAppMessageTemplates", "InternalServiceException",
                             status=500, times=3)

    agent_says(bridge, contact_id, "Hello?")

    (note,) = notes_to_agent(bridge.twin)
    assert note.endswith("(/templates lists them).\nNo approved template could be listed for this number.")
    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []


def test_a_chat_whose_window_was_never_recorded_sends_as_before(bridge):
    contact_id = bridge.open_chat()
    forget_on_session(contact_id, "customerWroteAt")  # a chat opened before the bridge kept it
    hours_after_customer_wrote(bridge, 20)

    agent_says(bridge, contact_id, "Hello again")

    assert [m["message"]["text"]["body"] for m in messages_sent(bridge.twin)] == ["Hello again"]


def test_in_the_last_hour_the_agent_is_warned_once_how_long_is_left(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 23.5)

    agent_says(bridge, contact_id, "One moment please.", "agent-message-1")
    agent_says(bridge, contact_id, "Still checking.", "agent-message-2")

    assert [m["message"]["text"]["body"] for m in messages_sent(bridge.twin)] == [
        "One moment please.", "Still checking."]
    (warning,) = notes_to_agent(bridge.twin)
    assert warning == ("[WhatsApp bridge] ⏳ WhatsApp's 24-hour window with this customer closes in 30 "
                       "minutes, at 14:00 UTC "
                       "on 13 Nov 2025. After that only an approved template reaches them, unless they "
                       "write again.")
    assert session(contact_id)["windowWarnedFor"] == EUM_TEXT_TIMESTAMP


def test_no_warning_when_the_setting_is_zero(bridge):
    put_settings(DEFAULT_SETTINGS | {"window_warning_minutes": 0})
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 23.9)
    agent_says(bridge, contact_id, "One moment please.")
    assert notes_to_agent(bridge.twin) == []


def test_a_free_form_send_the_bridge_let_through_is_refused_by_the_emulated_whatsapp(bridge):
    """The emulator keeps Meta's rule on its own: a regression in the bridge's check would show."""
    contact_id = bridge.open_chat()
    forget_on_session(contact_id, "customerWroteAt")
    hours_after_customer_wrote(bridge, 25)

    agent_says(bridge, contact_id, "Hello?")

    (sent,) = messages_sent(bridge.twin)
    assert sent["failure"]["code"] == 131047
    bridge.twin.clear_calls()
    bridge.deliver(status_of_sent(sent, "failed"))
    (note,) = notes_to_agent(bridge.twin)
    assert note.startswith("[WhatsApp bridge] ⚠️ WhatsApp did not deliver your last message to the "
                           "customer: Re-engagement message (131047).")
    assert note.endswith("only an approved template can reach them now: "
                         "/template NAME [LANGUAGE] [PARAMETER …] (/templates lists them).")


def test_an_older_message_flushed_after_a_newer_one_does_not_move_the_window_back(bridge):
    """A phone back online sends what it held: the late message reaches the agent, and the window
    still runs from the customer's newest message."""
    contact_id = bridge.open_chat()
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.newer", EUM_TEXT_TIMESTAMP + 600, "still there?")]))

    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.older", EUM_TEXT_TIMESTAMP + 300, "sent from the train")]))

    stored = session(contact_id)
    assert stored["customerWroteAt"] == EUM_TEXT_TIMESTAMP + 600
    assert stored["lastCustomerMessageId"] == stored["unreadMessageId"] == "wamid.newer"
    transcript = bridge.twin.contacts[contact_id]["transcript"]
    assert [m["Content"] for m in transcript if m.get("ParticipantRole") == "CUSTOMER"][-2:] == [
        "still there?", "sent from the train"]
    # The agent's read receipt for the late message still names it.
    assert "wamid.older" in stored["customerMessages"].values()
    # 24 hours after the older message, inside the newer one's window: the reply goes out.
    hours_after_customer_wrote(bridge, 24 + 400 / HOUR)
    bridge.twin.clear_calls()
    agent_says(bridge, contact_id, "Yes, still here.")
    assert [m["message"]["text"]["body"] for m in messages_sent(bridge.twin)] == ["Yes, still here."]
    (warning,) = notes_to_agent(bridge.twin)
    assert "closes in 4 minutes, at 14:10 UTC on 13 Nov 2025" in warning


def test_the_agents_typing_shows_nothing_on_whatsapp_once_the_window_closed(bridge):
    """"typing…" that no message can follow would mislead the customer."""
    contact_id = bridge.open_chat()
    typing = for_contact(load_event("connect-typing-agent"), contact_id)
    hours_after_customer_wrote(bridge, 25)

    bridge.connect_event(typing)

    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    assert session(contact_id)["unreadMessageId"]  # nobody marked it read either
    # The customer writes again: the agent's typing shows.
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.back", EUM_TEXT_TIMESTAMP + 25 * HOUR - 5, "I'm back")]))
    bridge.twin.clear_calls()
    bridge.connect_event(typing)
    assert [m["message"] for m in bridge.twin.sent_whatsapp] == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.back",
         "typing_indicator": {"type": "text"}}]
