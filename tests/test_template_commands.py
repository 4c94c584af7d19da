"""The agent's /template and /templates: a WhatsApp template from the chat, never a text."""
import pytest

from tests.conftest import CUSTOMER_WA_ID, PHONE_NUMBER_ARN, load_event
from tests.test_outbound import for_contact, session
from tests.test_window import agent_says, forget_on_session, hours_after_customer_wrote, notes_to_agent

ORDER_UPDATE_ECHO = ("[WhatsApp bridge] 📋 Template order_update (en_US) sent to the customer:\n"
                     "Order update\n\n"
                     "Hi Ana Souza, your order #4417 has shipped and arrives Friday.\n\n"
                     "Reply to this message to talk to us.")


def templates_sent(twin):
    return [s["message"] for s in twin.sent_whatsapp if s["message"].get("type") == "template"]


def test_a_template_goes_out_with_its_body_parameters_and_is_echoed_to_the_agent(bridge):
    contact_id = bridge.open_chat()

    agent_says(bridge, contact_id, '/template order_update en_US "Ana Souza" #4417 Friday')

    (sent,) = templates_sent(bridge.twin)
    assert sent == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER_WA_ID,
        "type": "template",
        "template": {"name": "order_update", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana Souza"},
                                            {"type": "text", "text": "#4417"},
                                            {"type": "text", "text": "Friday"}]}]},
        "biz_opaque_callback_data": f"{contact_id}|agent-message-1"}
    assert bridge.twin.sent_whatsapp[0]["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert notes_to_agent(bridge.twin) == [ORDER_UPDATE_ECHO]
    # The command itself never reached the customer as text.
    assert not [s for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text"]


def test_a_template_reaches_the_customer_outside_the_window(bridge):
    contact_id = bridge.open_chat()
    hours_after_customer_wrote(bridge, 30)

    agent_says(bridge, contact_id, "/template welcome_back")

    (sent,) = templates_sent(bridge.twin)
    assert sent["template"] == {"name": "welcome_back", "language": {"code": "en_US"}}
    assert "failure" not in bridge.twin.sent_whatsapp[0]
    assert notes_to_agent(bridge.twin) == [
        "[WhatsApp bridge] 📋 Template welcome_back (en_US) sent to the customer:\n"
        "Welcome back! We have news for you. Reply to chat with us."]


def test_templates_lists_the_approved_ones_and_sends_nothing(bridge):
    contact_id = bridge.open_chat()

    agent_says(bridge, contact_id, "/templates")

    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    assert notes_to_agent(bridge.twin) == [
        "[WhatsApp bridge] 📋 Approved templates:\nappointment_reminder (en_US, UTILITY)\n"
        "order_update (en_US, UTILITY)\n"
        "order_update (pt_BR, UTILITY)\nwelcome_back (en_US, MARKETING)"]


@pytest.mark.parametrize("command", [
    "/template order_updat en_US a b c",              # unknown name
    "/template spring_sale en_US 20%",                # pending at Meta
    "/template order_update en_US Ana #4417",         # one parameter short
    "/template order_update Ana #4417 Friday",        # two languages, none named
    '/template order_update en_US "Ana #4417 Friday',  # unbalanced quote
])
def test_a_command_that_cannot_be_sent_is_one_line_to_the_agent_and_nothing_else(bridge, command):
    contact_id = bridge.open_chat()

    agent_says(bridge, contact_id, command)

    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    (note,) = notes_to_agent(bridge.twin)
    assert note.startswith("[WhatsApp bridge] ⚠️ ") and "\n" not in note


def test_the_agent_reads_which_rule_the_command_broke(bridge):
    contact_id = bridge.open_chat()
    agent_says(bridge, contact_id, "/template spring_sale en_US 20%", "m1")
    agent_says(bridge, contact_id, "/template order_update en_US Ana #4417", "m2")
    pending, short = notes_to_agent(bridge.twin)
    assert "PENDING" in pending and "spring_sale" in pending
    assert "3 parameters" in short and "2" in short


def test_a_markdown_escaped_command_means_its_plain_text(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(for_contact(load_event("connect-agent-markdown"), contact_id, Id="md-1",
                                     Content=r'/template order\_update en\_US "Ana Souza" \#4417 Friday'))
    (sent,) = templates_sent(bridge.twin)
    assert [p["text"] for p in sent["template"]["components"][0]["parameters"]] == [
        "Ana Souza", "#4417", "Friday"]


def test_a_redelivered_command_sends_the_template_once_and_echoes_once(bridge):
    contact_id = bridge.open_chat()
    agent_says(bridge, contact_id, "/template welcome_back")
    agent_says(bridge, contact_id, "/template welcome_back")
    assert len(templates_sent(bridge.twin)) == 1
    assert len(notes_to_agent(bridge.twin)) == 1


def test_the_template_list_is_asked_once_per_ten_minutes_in_a_warm_container(bridge):
    contact_id = bridge.open_chat()
    agent_says(bridge, contact_id, "/templates", "m1")
    agent_says(bridge, contact_id, "/template welcome_back", "m2")
    assert len(bridge.twin.calls_to("socialmessaging", "ListWhatsAppMessageTemplates")) == 1
    (got,) = bridge.twin.calls_to("socialmessaging", "GetWhatsAppMessageTemplate")
    assert got["params"]["id"] == session(contact_id)["wabaId"]


def test_a_chat_without_its_business_account_says_templates_come_with_new_chats(bridge):
    contact_id = bridge.open_chat()
    forget_on_session(contact_id, "wabaId")
    agent_says(bridge, contact_id, "/templates")
    (note,) = notes_to_agent(bridge.twin)
    assert note.startswith("[WhatsApp bridge] ⚠️ Templates are not available in this chat")
    assert bridge.twin.calls_to("socialmessaging", "ListWhatsAppMessageTemplates") == []


def test_templates_that_cannot_be_read_are_one_line_and_nothing_is_sent(bridge):
    contact_id = bridge.open_chat()
    bridge.twin.inject_fault("socialmessaging", "ListWhatsAppMessageTemplates", "AccessDeniedException",
                             status=403)
    agent_says(bridge, contact_id, "/template welcome_back")
    assert bridge.twin.calls_to("socialmessaging", "SendWhatsAppMessage") == []
    (note,) = notes_to_agent(bridge.twin)
    assert note.startswith("[WhatsApp bridge] ⚠️ The templates of this number could not be read from "
                           "WhatsApp")
