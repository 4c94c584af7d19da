"""start_conversation: a business-initiated conversation opened with an approved template, from a
Connect flow or `chalice invoke`; what it sends, what it leaves for the customer's reply, and every
refusal, which sends nothing."""
import json

import pytest

from tests.conftest import CUSTOMER_WA_ID, PHONE_NUMBER_ARN, conversation_item, load_event

PHONE_NUMBER_ID = "phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75"
ORDER_UPDATE_TEXT = ("Order update\n\nHi Ana, your order 4521 has shipped and arrives tomorrow.\n\n"
                     "Reply to this message to talk to us.")


def request(**changes):
    body = {"customerNumber": f"+{CUSTOMER_WA_ID}", "phoneNumberId": PHONE_NUMBER_ARN,
            "templateName": "order_update", "language": "en_US",
            "parameters": ["Ana", "4521", "tomorrow"], "attributes": {"campaign": "shipping", "orderId": "4521"}}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def flow_event(parameters, contact_data=None):
    """What a Connect flow's "Invoke AWS Lambda function" block sends: strings only."""
    return {"Name": "ContactFlowEvent", "Details": {
        "ContactData": contact_data or {"Channel": "VOICE", "ContactId": "c0ffee00-0000-4000-8000-000000000001",
                                        "Attributes": {}},
        "Parameters": parameters}}


def sends(twin):
    return twin.calls_to("socialmessaging", "SendWhatsAppMessage")


def test_the_template_goes_out_and_waits_for_the_reply_as_the_campaign(bridge):
    response = bridge.invoke("start_conversation", request())

    (sent,) = bridge.twin.sent_whatsapp
    assert response == {"status": "sent", "whatsappMessageId": sent["messageId"], "text": ORDER_UPDATE_TEXT}
    assert sent["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert sent["metaApiVersion"] == "v20.0"
    assert sent["message"] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER_WA_ID,
        "type": "template",
        "template": {"name": "order_update", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"},
                                            {"type": "text", "text": "4521"},
                                            {"type": "text", "text": "tomorrow"}]}]},
    }
    item = conversation_item()
    now = bridge.twin.clock.timestamp()
    campaign = item["campaign"]
    assert float(campaign.pop("sentAt")) == pytest.approx(now, abs=5)
    assert len(campaign.pop("requestDigest")) == 64  # the request, to know its retry
    assert campaign == {
        "templateName": "order_update", "language": "en_US", "text": ORDER_UPDATE_TEXT,
        "attributes": {"campaign": "shipping", "orderId": "4521"}, "whatsappMessageId": sent["messageId"]}
    # The reply may come days later: the campaign outlives the conversation's usual day.
    assert float(item["expiresAt"]) == pytest.approx(now + 7 * 24 * 3600, abs=5)
    assert "openContactId" not in item


def test_a_retried_request_gets_the_same_answer_and_the_customer_one_template(bridge):
    first = bridge.invoke("start_conversation", request())
    bridge.twin.advance_clock(120)
    again = bridge.invoke("start_conversation", request())

    assert again == first
    assert len(sends(bridge.twin)) == 1


def test_another_request_or_the_same_an_hour_later_is_sent_again(bridge):
    bridge.invoke("start_conversation", request())
    bridge.invoke("start_conversation", request(parameters=["Ana", "4522", "Monday"]))
    bridge.twin.advance_clock(3601)
    bridge.invoke("start_conversation", request(parameters=["Ana", "4522", "Monday"]))

    assert len(sends(bridge.twin)) == 3
    assert conversation_item()["campaign"]["text"].count("4522") == 1


def test_the_calls_it_makes(bridge):
    bridge.invoke("start_conversation", request(phoneNumberId=PHONE_NUMBER_ID))
    assert [(c["service"], c["operation"]) for c in bridge.twin.calls] == [
        ("socialmessaging", "GetLinkedWhatsAppBusinessAccountPhoneNumber"),
        ("dynamodb", "GetItem"),
        ("socialmessaging", "ListWhatsAppMessageTemplates"),
        ("socialmessaging", "GetWhatsAppMessageTemplate"),
        ("ssm", "GetParameter"),
        ("socialmessaging", "SendWhatsAppMessage"),
        ("dynamodb", "UpdateItem"),
    ]
    (send,) = sends(bridge.twin)
    assert send["params"]["originationPhoneNumberId"] == PHONE_NUMBER_ID


def test_a_template_with_one_language_needs_none_and_plain_digits_are_a_number(bridge):
    response = bridge.invoke("start_conversation", request(
        customerNumber=CUSTOMER_WA_ID, templateName="welcome_back", language=None, parameters=None,
        attributes=None))
    assert response["status"] == "sent"
    assert response["text"] == "Welcome back! We have news for you. Reply to chat with us."
    (sent,) = bridge.twin.sent_whatsapp
    assert sent["message"]["template"] == {"name": "welcome_back", "language": {"code": "en_US"}}
    assert conversation_item()["campaign"]["attributes"] == {}


def test_from_a_connect_flow_parameters_are_strings_and_the_answer_is_flat(bridge):
    response = bridge.invoke("start_conversation", flow_event({
        "customerNumber": f"+{CUSTOMER_WA_ID}", "phoneNumberId": PHONE_NUMBER_ARN,
        "templateName": "order_update", "language": "pt_BR",
        "parameter1": "Ana", "parameter2": "4521", "parameter3": "amanhã",
        "attributes": json.dumps({"campaign": "shipping"})}))
    assert response["status"] == "sent"
    assert all(isinstance(value, str) for value in response.values())
    (sent,) = bridge.twin.sent_whatsapp
    assert sent["message"]["template"]["language"] == {"code": "pt_BR"}
    assert [p["text"] for p in sent["message"]["template"]["components"][0]["parameters"]] == [
        "Ana", "4521", "amanhã"]
    assert conversation_item()["campaign"]["attributes"] == {"campaign": "shipping"}


def test_a_voice_flow_may_leave_the_number_to_the_caller_s_own(bridge):
    response = bridge.invoke("start_conversation", flow_event(
        {"phoneNumberId": PHONE_NUMBER_ARN, "templateName": "appointment_reminder",
         "parameters": json.dumps(["Ana", "12 May at 10:00"])},
        contact_data={"Channel": "VOICE", "Attributes": {},
                      "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": f"+{CUSTOMER_WA_ID}"}}))
    assert response["status"] == "sent"
    (sent,) = bridge.twin.sent_whatsapp
    assert sent["message"]["to"] == CUSTOMER_WA_ID


def test_a_customer_in_an_open_chat_gets_the_template_from_the_agent(bridge):
    bridge.deliver(load_event("eum-text"))
    bridge.twin.clear_calls()
    sent_before = len(bridge.twin.sent_whatsapp)

    response = bridge.invoke("start_conversation", request())

    assert response == {"status": "error", "error": "The customer is in an open chat: the agent sends "
                                                    "the template there, with /template."}
    assert len(bridge.twin.sent_whatsapp) == sent_before
    assert "campaign" not in conversation_item()


@pytest.mark.parametrize("changes, error", [
    ({"customerNumber": None}, "customerNumber is missing: give the customer's number in E.164, as +5511999990000."),
    ({"customerNumber": "call me"}, "customerNumber is not a phone number: give it in E.164, as +5511999990000."),
    ({"customerNumber": "+0155501"}, "customerNumber is not a phone number: give it in E.164, as +5511999990000."),
    ({"phoneNumberId": None}, "phoneNumberId is missing: give the business number's End User Messaging "
                              "Social id, phone-number-id-…, or its ARN."),
    ({"phoneNumberId": "101996265140636"}, "phoneNumberId must be the business number's End User "
                                           "Messaging Social id, phone-number-id-…, or its ARN."),
    ({"templateName": None}, "templateName is missing."),
    ({"language": 7}, "language must be a string."),
    ({"parameters": ["Ana", 4521, "tomorrow"]}, "parameters must be a list of strings."),
    ({"parameters": "Ana, 4521"}, "parameters must be a JSON array of strings."),
    ({"attributes": {"order id": "4521"}}, "Attribute name 'order id' may hold only letters, digits, - "
                                           "and _, as Amazon Connect requires."),
    ({"attributes": {"orderId": 4521}}, "attributes must be a map of strings to strings."),
    ({"attributes": {"note": "x" * 32768}}, "attributes hold 32,772 bytes; Amazon Connect takes at most "
                                            "32,768 across all of them."),
    ({"templateName": "order_updat"}, "No approved template named order_updat. /templates lists them."),
    ({"language": None}, "order_update is in en_US and pt_BR: say which, as /template order_update en_US …"),
    ({"templateName": "welcome_back", "language": "fr", "parameters": None},
     "welcome_back has no language fr; it is in en_US."),
    ({"templateName": "spring_sale", "parameters": ["20%"]},
     "spring_sale (en_US) is PENDING at Meta, not approved: it cannot be sent."),
    ({"parameters": ["Ana", "4521"]}, "order_update (en_US) takes 3 parameters ({{1}} {{2}} {{3}}), you gave 2."),
    ({"parameters": ["Ana", "4521", "tomorrow\nafternoon"]},
     "Parameter 3 has a line break, a tab or more than four spaces in a row, which WhatsApp refuses in "
     "a template parameter."),
])
def test_bad_input_is_one_clear_line_and_sends_nothing(bridge, changes, error):
    assert bridge.invoke("start_conversation", request(**changes)) == {"status": "error", "error": error}
    assert sends(bridge.twin) == []
    assert conversation_item() is None


def test_input_that_is_not_an_object_is_refused(bridge):
    assert bridge.invoke("start_conversation", ["order_update"]) == {
        "status": "error", "error": "The input must be a JSON object."}
    assert bridge.twin.calls == []


def test_a_number_not_linked_to_the_account_is_refused(bridge):
    response = bridge.invoke("start_conversation", request(
        phoneNumberId="phone-number-id-00000000000000000000000000000000"))
    assert response["status"] == "error"
    assert response["error"].startswith("The business number phone-number-id-00000000000000000000000000000000 "
                                        "could not be looked up in End User Messaging Social: ")
    assert sends(bridge.twin) == []


def test_a_send_whatsapp_refuses_is_reported_and_leaves_no_campaign(bridge):
    bridge.twin.inject_fault("socialmessaging", "SendWhatsAppMessage", "ValidationException", 400,
                             message="(#131026) Message undeliverable")
    response = bridge.invoke("start_conversation", request())
    assert response == {"status": "error",
                        "error": "WhatsApp refused the template: (#131026) Message undeliverable"}
    assert conversation_item() is None


def test_the_logs_carry_no_phone_number(bridge, capsys):
    bridge.invoke("start_conversation", request())
    bridge.invoke("start_conversation", request(customerNumber="+1 555 0100 009", parameters=["Ana"]))
    logged = capsys.readouterr().out
    assert "conversation_started" in logged and "conversation_not_started" in logged
    assert CUSTOMER_WA_ID not in logged and "5550100009" not in logged
