"""End User Messaging Social's message templates: listing, reading, and Meta's checks on a send."""
import json

import pytest
from botocore.exceptions import ClientError

WABA_ARN = "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415"
WABA_ID = "waba-7c2025cfddb055018df85097925ee415"
PHONE_ARN = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75"
SECOND_PHONE_ARN = ("arn:aws:social-messaging:us-east-1:123456789012:"
                    "phone-number-id/fb8c857b8024e25056484641ad5a9e55")
SEEDED = [
    ("order_update", "en_US", "UTILITY", "APPROVED"),
    ("order_update", "pt_BR", "UTILITY", "APPROVED"),
    ("appointment_reminder", "en_US", "UTILITY", "APPROVED"),
    ("welcome_back", "en_US", "MARKETING", "APPROVED"),
    ("spring_sale", "en_US", "MARKETING", "PENDING"),
    ("old_promo", "en_US", "MARKETING", "REJECTED"),
]


def rows(response):
    return [(t["templateName"], t["templateLanguage"], t["templateCategory"], t["templateStatus"])
            for t in response["templates"]]


def error_of(call, **params):
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def template_message(name, language, *parameters, to="15550100001"):
    template = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
        ]
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
            "template": template}


def send(social, message, phone=PHONE_ARN):
    return social.send_whatsapp_message(originationPhoneNumberId=phone, metaApiVersion="v20.0",
                                        message=json.dumps(message).encode())


def test_the_reference_account_lists_its_seeded_templates_by_arn_or_id(sdk):
    social = sdk("socialmessaging")

    by_arn = social.list_whatsapp_message_templates(id=WABA_ARN)
    by_id = social.list_whatsapp_message_templates(id=WABA_ID)

    assert rows(by_arn) == SEEDED
    assert by_id["templates"] == by_arn["templates"]
    assert "nextToken" not in by_arn
    assert all(t["metaTemplateId"].isdigit() for t in by_arn["templates"])


def test_list_pages_with_max_results_and_next_token(sdk):
    social = sdk("socialmessaging")

    first = social.list_whatsapp_message_templates(id=WABA_ARN, maxResults=4)
    second = social.list_whatsapp_message_templates(id=WABA_ARN, maxResults=4, nextToken=first["nextToken"])
    pages = social.get_paginator("list_whatsapp_message_templates").paginate(
        id=WABA_ARN, PaginationConfig={"PageSize": 2})

    assert rows(first) == SEEDED[:4]
    assert rows(second) == SEEDED[4:]
    assert "nextToken" not in second
    assert [len(page["templates"]) for page in pages] == [2, 2, 2]


def test_templates_are_listed_per_account(sdk, twin):
    other = "arn:aws:social-messaging:us-east-1:123456789012:waba/0a1b2c3d"
    twin.social.add_template(other, {"name": "hello", "language": "en_US", "status": "APPROVED",
                                     "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi"}]})

    listed = sdk("socialmessaging").list_whatsapp_message_templates(id="waba-0a1b2c3d")

    assert rows(listed) == [("hello", "en_US", "UTILITY", "APPROVED")]


@pytest.mark.parametrize("params, code", [
    ({"id": "7c2025cfddb055018df85097925ee415"}, "ValidationException"),
    ({"id": "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17"}, "ValidationException"),
    ({"id": WABA_ARN, "maxResults": 101}, "ValidationException"),
    ({"id": WABA_ARN, "nextToken": "not-a-token"}, "ValidationException"),
    ({"id": "waba-ffff0000"}, "ResourceNotFoundException"),
])
def test_list_refuses_a_bad_id_page_size_or_token_and_an_unknown_account(sdk, params, code):
    assert error_of(sdk("socialmessaging").list_whatsapp_message_templates, **params)[0] == code


def test_get_returns_metas_template_object_by_id_or_by_name_and_language(sdk):
    social = sdk("socialmessaging")
    (summary,) = [t for t in social.list_whatsapp_message_templates(id=WABA_ARN)["templates"]
                  if (t["templateName"], t["templateLanguage"]) == ("order_update", "en_US")]

    by_id = json.loads(social.get_whatsapp_message_template(
        id=WABA_ARN, metaTemplateId=summary["metaTemplateId"])["template"])
    by_name = json.loads(social.get_whatsapp_message_template(
        id=WABA_ID, templateName="order_update", templateLanguageCode="en_US")["template"])

    assert by_id == by_name == {
        "name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "id": summary["metaTemplateId"], "parameter_format": "POSITIONAL",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order update"},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped and arrives {{3}}.",
             "example": {"body_text": [["Ana", "4521", "tomorrow"]]}},
            {"type": "FOOTER", "text": "Reply to this message to talk to us."},
        ],
    }


def test_get_keeps_the_text_of_other_languages(sdk):
    template = json.loads(sdk("socialmessaging").get_whatsapp_message_template(
        id=WABA_ARN, templateName="order_update", templateLanguageCode="pt_BR")["template"])

    assert template["components"][0]["text"] == "Olá {{1}}, seu pedido {{2}} foi enviado e chega {{3}}."


@pytest.mark.parametrize("params, code", [
    ({"id": WABA_ARN, "metaTemplateId": "999"}, "ResourceNotFoundException"),
    ({"id": WABA_ARN, "templateName": "order_update", "templateLanguageCode": "fr_FR"},
     "ResourceNotFoundException"),
    ({"id": WABA_ARN, "templateName": "order_update"}, "ValidationException"),
    ({"id": WABA_ARN}, "ValidationException"),
    ({"id": "waba-ffff0000", "metaTemplateId": "1"}, "ResourceNotFoundException"),
])
def test_get_refuses_an_unknown_or_half_named_template(sdk, params, code):
    assert error_of(sdk("socialmessaging").get_whatsapp_message_template, **params)[0] == code


def test_an_approved_template_with_its_parameters_is_sent_from_either_reference_number(sdk, twin):
    social = sdk("socialmessaging")
    message = template_message("order_update", "en_US", "Ana", "4521", "tomorrow")

    send(social, message)
    send(social, template_message("welcome_back", "en_US"), phone=SECOND_PHONE_ARN)

    assert [s["message"] for s in twin.sent_whatsapp] == [message, template_message("welcome_back", "en_US")]
    assert not any("failure" in s for s in twin.sent_whatsapp)


@pytest.mark.parametrize("message, meta_code", [
    (template_message("order_updates", "en_US", "Ana", "4521", "tomorrow"), "#132001"),
    (template_message("order_update", "fr_FR", "Ana", "4521", "tomorrow"), "#132001"),
    (template_message("spring_sale", "en_US", "20%"), "#132001"),
    (template_message("old_promo", "en_US", "3"), "#132001"),
    (template_message("order_update", "en_US", "Ana", "4521"), "#132000"),
    (template_message("welcome_back", "en_US", "Ana"), "#132000"),
    (template_message("appointment_reminder", "en_US"), "#132000"),
])
def test_a_template_meta_would_refuse_is_refused_at_once_and_nothing_is_sent(sdk, twin, message, meta_code):
    code, text = error_of(send, social=sdk("socialmessaging"), message=message)

    assert code == "ValidationException"
    assert text.startswith(f"({meta_code})")
    assert twin.sent_whatsapp == []


def test_a_paused_template_is_refused_with_its_own_code(sdk, twin):
    twin.social.add_template(WABA_ARN, {"name": "paused_one", "language": "en_US", "status": "PAUSED",
                                        "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi"}]})

    code, text = error_of(send, social=sdk("socialmessaging"), message=template_message("paused_one", "en_US"))

    assert (code, text.split(":")[0]) == ("ValidationException", "(#132015) Template is paused")


def test_a_number_without_a_linked_account_has_no_templates(sdk, twin):
    phone = "phone-number-id-0123456789abcdef"

    refused = error_of(send, social=sdk("socialmessaging"), message=template_message("welcome_back", "en_US"),
                       phone=phone)
    twin.social.link_phone_number(phone, WABA_ID)
    send(sdk("socialmessaging"), template_message("welcome_back", "en_US"), phone=phone)

    assert refused[1].startswith("(#132001)")
    assert len(twin.sent_whatsapp) == 1


def test_reset_brings_back_only_the_seeded_templates(sdk, twin):
    twin.social.add_template(WABA_ARN, {"name": "extra", "language": "en_US", "status": "APPROVED",
                                        "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi"}]})

    twin.reset()

    assert rows(sdk("socialmessaging").list_whatsapp_message_templates(id=WABA_ARN)) == SEEDED
