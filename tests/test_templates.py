"""The /template command, Meta's template JSON and the SendWhatsAppMessage payload a template becomes."""
import json

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import templates
from chalicelib.templates import Command, TemplateError, TemplateSummary

WABA = "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415"

ORDER_UPDATE = {
    "name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
    "parameter_format": "POSITIONAL", "id": "1001",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order update"},
        {"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped and arrives {{3}}.",
         "example": {"body_text": [["Ana", "A-1", "Friday"]]}},
        {"type": "FOOTER", "text": "Reply to this message to talk to us."},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Talk to us"}]},
    ],
}
WELCOME_BACK = {
    "name": "welcome_back", "language": "en_US", "status": "APPROVED", "category": "MARKETING",
    "components": [{"type": "BODY", "text": "Welcome back! We have news for you. Reply to chat with us."}],
}
NAMED_GREETING = {
    "name": "named_greeting", "language": "en", "status": "APPROVED", "category": "UTILITY",
    "parameter_format": "NAMED",
    "components": [{"type": "BODY", "text": "Hi {{first_name}}, {{first_name}}'s order {{order}} is ready."}],
}

SUMMARIES = [
    TemplateSummary("order_update", "en_US", "UTILITY", "APPROVED", "1001"),
    TemplateSummary("order_update", "pt_BR", "UTILITY", "APPROVED", "1002"),
    TemplateSummary("appointment_reminder", "en_US", "UTILITY", "APPROVED", "1003"),
    TemplateSummary("welcome_back", "en_US", "MARKETING", "APPROVED", "1004"),
    TemplateSummary("spring_sale", "en_US", "MARKETING", "PENDING", "1005"),
    TemplateSummary("old_promo", "en_US", "MARKETING", "REJECTED", "1006"),
]


def with_components(*components, **fields):
    return {"name": "custom", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
            **fields, "components": list(components)}


BODY = {"type": "BODY", "text": "Hello {{1}}."}


# --- parse_command ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["hello", "see /template later", "", "/templ", "template x"])
def test_text_that_is_not_a_command_is_none(text):
    assert templates.parse_command(text) is None


def test_listing_command():
    assert templates.parse_command(" /templates ") == Command(listing=True, name="", arguments=())


def test_command_words_are_split_like_a_shell_so_quotes_group_words():
    command = templates.parse_command('/template order_update en_US "Ana Lima" A-1 \'next Friday\'')
    assert command == Command(listing=False, name="order_update",
                              arguments=("en_US", "Ana Lima", "A-1", "next Friday"))


def test_a_command_may_be_typed_in_capitals():
    assert templates.parse_command("/Template welcome_back").name == "welcome_back"


@pytest.mark.parametrize("text, error", [
    ("/template", "Say which template: /template NAME [LANGUAGE] [PARAMETER …]. /templates lists them."),
    ("/template order_update O'Brien", "A quote is not closed. Put a parameter with an apostrophe in "
                                       "double quotes, as \"O'Brien\"."),
    ("/templatez x", "Unknown command /templatez. Use /template NAME [LANGUAGE] [PARAMETER …], "
                     "or /templates to list them."),
])
def test_a_malformed_command_is_one_clear_line(text, error):
    with pytest.raises(TemplateError) as raised:
        templates.parse_command(text)
    assert str(raised.value) == error


# --- choose ----------------------------------------------------------------------------------

def command(*words):
    return templates.parse_command(" ".join(["/template", *words]))


def test_the_language_is_the_first_argument_when_the_template_has_it():
    summary, parameters = templates.choose(command("order_update", "pt_BR", "Ana", "A-1", "sexta"), SUMMARIES)
    assert summary.meta_template_id == "1002"
    assert parameters == ("Ana", "A-1", "sexta")


def test_the_language_matches_whatever_its_case_or_separator():
    summary, _ = templates.choose(command("order_update", "pt-br", "Ana"), SUMMARIES)
    assert summary.language == "pt_BR"


def test_a_single_language_template_needs_no_language():
    summary, parameters = templates.choose(command("appointment_reminder", "Ana", "Friday"), SUMMARIES)
    assert (summary.meta_template_id, parameters) == ("1003", ("Ana", "Friday"))


def test_a_single_language_template_may_still_be_given_its_language():
    summary, parameters = templates.choose(command("appointment_reminder", "en_US", "Ana", "Friday"), SUMMARIES)
    assert (summary.meta_template_id, parameters) == ("1003", ("Ana", "Friday"))


def test_a_template_in_several_languages_needs_one():
    with pytest.raises(TemplateError) as raised:
        templates.choose(command("order_update", "Ana", "A-1", "Friday"), SUMMARIES)
    assert str(raised.value) == ("order_update is in en_US and pt_BR: say which, "
                                 "as /template order_update en_US …")


def test_an_unknown_name_points_to_the_listing():
    with pytest.raises(TemplateError) as raised:
        templates.choose(command("order_updat", "en_US"), SUMMARIES)
    assert str(raised.value) == "No approved template named order_updat. /templates lists them."


@pytest.mark.parametrize("name, status", [("spring_sale", "PENDING"), ("old_promo", "REJECTED")])
def test_a_template_not_approved_names_its_status(name, status):
    with pytest.raises(TemplateError) as raised:
        templates.choose(command(name, "10%"), SUMMARIES)
    assert str(raised.value) == f"{name} (en_US) is {status} at Meta, not approved: it cannot be sent."


# --- parse_template --------------------------------------------------------------------------

def test_meta_template_object_parsed():
    template = templates.parse_template(ORDER_UPDATE)
    assert template == templates.Template(
        name="order_update", language="en_US", category="UTILITY", status="APPROVED",
        parameter_format="POSITIONAL", header_text="Order update",
        body_text="Hi {{1}}, your order {{2}} has shipped and arrives {{3}}.",
        footer_text="Reply to this message to talk to us.", body_parameters=("1", "2", "3"),
        unsupported="")


def test_named_parameters_in_order_of_first_appearance():
    template = templates.parse_template(NAMED_GREETING)
    assert template.parameter_format == "NAMED"
    assert template.body_parameters == ("first_name", "order")


def test_a_template_without_parameter_format_is_positional():
    assert templates.parse_template(WELCOME_BACK).parameter_format == "POSITIONAL"


@pytest.mark.parametrize("components, reason", [
    ([{"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["h"]}}, BODY],
     "its header is an image"),
    ([{"type": "HEADER", "format": "DOCUMENT"}, BODY], "its header is a document"),
    ([{"type": "HEADER", "format": "LOCATION"}, BODY], "its header is a location"),
    ([{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"}, BODY], "its header has a variable"),
    ([BODY, {"type": "BUTTONS", "buttons": [
        {"type": "URL", "text": "Track", "url": "https://example.com/track/{{1}}"}]}],
     "its link button has a variable"),
    ([BODY, {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "SAVE10"}]}],
     "it has a copy-code button"),
    ([BODY, {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}],
     "it has a one-time-password button"),
    ([BODY, {"type": "CAROUSEL", "cards": []}], "it has a carousel component"),
])
def test_what_the_command_cannot_fill_is_unsupported_with_a_reason(components, reason):
    assert templates.parse_template(with_components(*components)).unsupported == reason


def test_static_buttons_and_a_text_header_are_supported():
    template = templates.parse_template(with_components(
        {"type": "HEADER", "format": "TEXT", "text": "Hello"}, BODY,
        {"type": "BUTTONS", "buttons": [
            {"type": "QUICK_REPLY", "text": "Yes"},
            {"type": "URL", "text": "Site", "url": "https://example.com/"},
            {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550100"}]}))
    assert template.unsupported == ""


# --- check_parameters ------------------------------------------------------------------------

def test_the_right_parameters_pass():
    templates.check_parameters(templates.parse_template(ORDER_UPDATE), ["Ana", "A-1", "on Friday"])


@pytest.mark.parametrize("definition, given, error", [
    (ORDER_UPDATE, ["Ana", "A-1"], "order_update (en_US) takes 3 parameters ({{1}} {{2}} {{3}}), you gave 2."),
    (WELCOME_BACK, ["Ana"], "welcome_back (en_US) takes no parameters, you gave 1."),
    (with_components(BODY), [], "custom (en_US) takes 1 parameter ({{1}}), you gave 0."),
    (NAMED_GREETING, ["Ana"], "named_greeting (en) takes 2 parameters ({{first_name}} {{order}}), you gave 1."),
])
def test_a_wrong_parameter_count_is_refused_naming_the_placeholders(definition, given, error):
    with pytest.raises(TemplateError) as raised:
        templates.check_parameters(templates.parse_template(definition), given)
    assert str(raised.value) == error


@pytest.mark.parametrize("value", ["two\nlines", "a\ttab", "wide     gap", "cr\rreturn"])
def test_parameters_whatsapp_refuses_are_refused(value):
    with pytest.raises(TemplateError) as raised:
        templates.check_parameters(templates.parse_template(with_components(BODY)), [value])
    assert str(raised.value) == ("Parameter 1 has a line break, a tab or more than four spaces in a "
                                 "row, which WhatsApp refuses in a template parameter.")


def test_four_spaces_in_a_row_are_allowed():
    templates.check_parameters(templates.parse_template(with_components(BODY)), ["four    gap"])


def test_an_empty_parameter_is_refused():
    with pytest.raises(TemplateError, match="^Parameter 2 is empty"):
        templates.check_parameters(templates.parse_template(ORDER_UPDATE), ["Ana", " ", "Friday"])


def test_a_body_over_whatsapps_limit_once_filled_is_refused():
    with pytest.raises(TemplateError) as raised:
        templates.check_parameters(templates.parse_template(with_components(BODY)), ["x" * 1020])
    assert str(raised.value) == ("With these parameters the body of custom (en_US) is 1027 characters; "
                                 "WhatsApp allows 1,024.")


def test_an_unsupported_template_is_refused_with_its_reason():
    template = templates.parse_template(with_components(
        {"type": "HEADER", "format": "VIDEO"}, {"type": "BODY", "text": "Watch this."}))
    with pytest.raises(TemplateError) as raised:
        templates.check_parameters(template, [])
    assert str(raised.value) == "custom (en_US) cannot be sent this way: its header is a video."


# --- render and payload ----------------------------------------------------------------------

def test_render_fills_the_body_between_header_and_footer():
    text = templates.render(templates.parse_template(ORDER_UPDATE), ["Ana", "A-1", "on Friday"])
    assert text == ("Order update\n\nHi Ana, your order A-1 has shipped and arrives on Friday.\n\n"
                    "Reply to this message to talk to us.")


def test_render_fills_a_named_parameter_everywhere_it_appears():
    text = templates.render(templates.parse_template(NAMED_GREETING), ["Ana", "A-1"])
    assert text == "Hi Ana, Ana's order A-1 is ready."


def test_render_without_parameters_is_the_body():
    assert templates.render(templates.parse_template(WELCOME_BACK), []) == WELCOME_BACK["components"][0]["text"]


def test_positional_payload():
    payload = templates.whatsapp_payload("5511999990000", templates.parse_template(ORDER_UPDATE),
                                         ["Ana", "A-1", "on Friday"])
    assert payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511999990000",
        "type": "template",
        "template": {"name": "order_update", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"},
                                            {"type": "text", "text": "A-1"},
                                            {"type": "text", "text": "on Friday"}]}]},
    }


def test_named_payload_names_each_parameter():
    payload = templates.whatsapp_payload("5511999990000", templates.parse_template(NAMED_GREETING), ["Ana", "A-1"])
    assert payload["template"]["components"] == [{"type": "body", "parameters": [
        {"type": "text", "text": "Ana", "parameter_name": "first_name"},
        {"type": "text", "text": "A-1", "parameter_name": "order"}]}]


def test_a_template_without_parameters_has_no_components():
    payload = templates.whatsapp_payload("5511999990000", templates.parse_template(WELCOME_BACK), [])
    assert payload["template"] == {"name": "welcome_back", "language": {"code": "en_US"}}


# --- listing ---------------------------------------------------------------------------------

def test_listing_shows_approved_templates_only_sorted():
    assert templates.listing(SUMMARIES) == ("appointment_reminder (en_US, UTILITY)\n"
                                            "order_update (en_US, UTILITY)\n"
                                            "order_update (pt_BR, UTILITY)\n"
                                            "welcome_back (en_US, MARKETING)")


def test_listing_without_approved_templates_is_empty():
    assert templates.listing(SUMMARIES[4:]) == ""


# --- the AWS calls ---------------------------------------------------------------------------

def social_client():
    return boto3.client("socialmessaging", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def row(name, language, status, meta_id, category="UTILITY"):
    return {"templateName": name, "templateLanguage": language, "templateStatus": status,
            "templateCategory": category, "metaTemplateId": meta_id}


def test_list_templates_reads_every_page():
    client = social_client()
    with Stubber(client) as stub:
        stub.add_response("list_whatsapp_message_templates",
                          {"templates": [row("order_update", "en_US", "APPROVED", "1001")], "nextToken": "page2"},
                          {"id": WABA, "maxResults": 100})
        stub.add_response("list_whatsapp_message_templates",
                          {"templates": [row("spring_sale", "en_US", "PENDING", "1005", "MARKETING")]},
                          {"id": WABA, "maxResults": 100, "nextToken": "page2"})
        summaries = templates.list_templates(client, WABA)
        stub.assert_no_pending_responses()
    assert summaries == [TemplateSummary("order_update", "en_US", "UTILITY", "APPROVED", "1001"),
                         TemplateSummary("spring_sale", "en_US", "MARKETING", "PENDING", "1005")]


def test_list_templates_skips_rows_that_cannot_be_sent():
    client = social_client()
    with Stubber(client) as stub:
        stub.add_response("list_whatsapp_message_templates",
                          {"templates": [{"templateName": "no_id", "templateLanguage": "en_US"},
                                         row("welcome_back", "en_US", "APPROVED", "1004", "MARKETING")]},
                          {"id": WABA, "maxResults": 100})
        summaries = templates.list_templates(client, WABA)
    assert [summary.name for summary in summaries] == ["welcome_back"]


def test_get_template_parses_the_json_string():
    client = social_client()
    with Stubber(client) as stub:
        stub.add_response("get_whatsapp_message_template", {"template": json.dumps(ORDER_UPDATE)},
                          {"id": WABA, "metaTemplateId": "1001"})
        template = templates.get_template(client, WABA, "1001")
    assert template == templates.parse_template(ORDER_UPDATE)


def test_get_template_that_is_not_json_is_a_clear_error():
    client = social_client()
    with Stubber(client) as stub:
        stub.add_response("get_whatsapp_message_template", {"template": "<html>"},
                          {"id": WABA, "metaTemplateId": "1001"})
        with pytest.raises(TemplateError) as raised:
            templates.get_template(client, WABA, "1001")
    assert str(raised.value) == "Template 1001 could not be read from WhatsApp."
