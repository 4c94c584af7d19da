"""WhatsApp's 24-hour customer service window, as the twin enforces it on SendWhatsAppMessage."""
import json

import pytest

from emulator.reference_events import load_event, sns_message, status_of_sent

PHONE_ARN = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75"
CUSTOMER = "15550100001"
DAY = 24 * 3600


def text(body="We found your parcel.", to=CUSTOMER):
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
            "text": {"body": body}}


def send(sdk, message, phone=PHONE_ARN):
    return sdk("socialmessaging").send_whatsapp_message(
        originationPhoneNumberId=phone, metaApiVersion="v20.0", message=json.dumps(message).encode()
    )["messageId"]


def failed_status_item(event):
    entry = json.loads(sns_message(event)["whatsAppWebhookEntry"])
    (item,) = entry["changes"][0]["value"]["statuses"]
    return item


def test_inside_the_window_a_free_form_message_reaches_the_phone(sdk, twin):
    twin.customer_wrote(PHONE_ARN, CUSTOMER, twin.clock.timestamp() - (DAY - 60))

    message_id = send(sdk, text())

    (sent,) = twin.sent_whatsapp
    assert sent["messageId"] == message_id
    assert "failure" not in sent


@pytest.mark.parametrize("wrote_ago", [None, DAY + 1])
def test_outside_the_window_the_send_is_accepted_but_fails_with_131047(sdk, twin, wrote_ago):
    if wrote_ago is not None:
        twin.customer_wrote(PHONE_ARN, CUSTOMER, twin.clock.timestamp() - wrote_ago)

    message_id = send(sdk, text())

    (sent,) = twin.sent_whatsapp
    assert message_id and sent["messageId"] == message_id
    assert sent["failure"]["code"] == 131047


def test_the_window_closes_24_hours_after_the_newest_message_as_the_clock_moves(sdk, twin):
    now = twin.clock.timestamp()
    twin.customer_wrote(PHONE_ARN, CUSTOMER, now - 3600)
    twin.customer_wrote(PHONE_ARN, CUSTOMER, now - 7200)  # an older message arriving late

    send(sdk, text("one"))
    twin.advance_clock(DAY - 3600 - 5)
    send(sdk, text("two"))
    twin.advance_clock(10)
    send(sdk, text("three"))

    assert ["failure" in s for s in twin.sent_whatsapp] == [False, False, True]


def test_the_window_is_per_business_number_and_customer(sdk, twin):
    twin.customer_wrote("phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75", CUSTOMER, twin.clock.timestamp())

    send(sdk, text())                                   # the same number, named by its id
    send(sdk, text(to="+" + CUSTOMER))                  # the same customer, with a plus
    send(sdk, text(to="15550100002"))                   # another customer
    send(sdk, text(), phone="phone-number-id-fb8c857b8024e25056484641ad5a9e55")  # another number

    assert ["failure" in s for s in twin.sent_whatsapp] == [False, False, True, True]


def test_a_template_and_a_read_receipt_with_typing_are_exempt(sdk, twin):
    template = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER,
                "type": "template", "template": {"name": "welcome_back", "language": {"code": "en_US"}}}
    receipt = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.abc",
               "typing_indicator": {"type": "text"}}

    send(sdk, template)
    send(sdk, receipt)

    assert [("failure" in s) for s in twin.sent_whatsapp] == [False, False]


def test_the_failed_status_of_a_refused_send_has_metas_shape(sdk, twin):
    message = {**text(), "biz_opaque_callback_data": "chat#message"}
    message_id = send(sdk, message)

    event = status_of_sent(twin.sent_whatsapp[0], "failed")

    reference = failed_status_item(load_event("eum-status-failed"))
    assert failed_status_item(event) == {**reference, "id": message_id, "recipient_id": CUSTOMER,
                                         "biz_opaque_callback_data": "chat#message"}
    assert reference["errors"][0]["code"] == 131047


def test_status_of_sent_refuses_statuses_meta_would_not_send(sdk, twin):
    twin.customer_wrote(PHONE_ARN, CUSTOMER, twin.clock.timestamp())
    send(sdk, text())
    twin.advance_clock(DAY)
    send(sdk, text())
    delivered, refused = twin.sent_whatsapp

    with pytest.raises(ValueError):
        status_of_sent(delivered, "failed")
    with pytest.raises(ValueError):
        status_of_sent(refused, "delivered")
