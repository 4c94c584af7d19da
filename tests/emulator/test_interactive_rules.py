"""SendWhatsAppMessage refuses the interactive messages Meta refuses, with Meta's 131009 passed on
as a ValidationException (emulator/interactive_rules.py cites the pages)."""
import copy
import json

import pytest
from botocore.exceptions import ClientError

PHONE_ARN = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/0123456789abcdef0123456789abcdef"
CUSTOMER = "15550100001"

BUTTONS = {"type": "button", "body": {"text": "Was this answer helpful?"},
           "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                                  {"type": "reply", "reply": {"id": "no", "title": "No"}}]}}
LIST = {"type": "list", "body": {"text": "How can we help?"},
        "action": {"button": "Options", "sections": [
            {"title": "Orders", "rows": [{"id": "status", "title": "Order status",
                                          "description": "Track a recent order"}]},
            {"title": "Other", "rows": [{"id": "agent", "title": "Talk to an agent"}]}]}}


def send(sdk, interactive):
    message = {"messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive",
               "interactive": interactive}
    return sdk("socialmessaging").send_whatsapp_message(
        originationPhoneNumberId=PHONE_ARN, metaApiVersion="v20.0", message=json.dumps(message).encode())


def changed(base, change):
    message = copy.deepcopy(base)
    change(message)
    return message


def refusal(sdk, twin, interactive):
    with pytest.raises(ClientError) as excinfo:
        send(sdk, interactive)
    assert twin.sent_whatsapp == []
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Message"]


def test_buttons_and_lists_within_metas_limits_are_sent(sdk, twin):
    twin.customer_wrote(PHONE_ARN, CUSTOMER, twin.clock.timestamp() - 60)
    longest = changed(BUTTONS, lambda m: m["action"]["buttons"].append(
        {"type": "reply", "reply": {"id": "x" * 256, "title": "t" * 20}}))
    longest |= {"header": {"type": "text", "text": "h" * 60}, "footer": {"text": "f" * 60},
                "body": {"text": "b" * 1024}}
    one_untitled_section = {"type": "list", "body": {"text": "b" * 4096}, "action": {
        "button": "o" * 20,
        "sections": [{"rows": [{"id": "r" * 200, "title": "t" * 24, "description": "d" * 72}]}]}}

    for interactive in (BUTTONS, LIST, longest, one_untitled_section):
        assert send(sdk, interactive)["messageId"]

    assert [s["message"]["interactive"] for s in twin.sent_whatsapp] == [
        BUTTONS, LIST, longest, one_untitled_section]


BUTTON_REFUSALS = {
    "no buttons": lambda m: m["action"].update(buttons=[]),
    "four buttons": lambda m: m["action"]["buttons"].extend(
        {"type": "reply", "reply": {"id": f"b{i}", "title": f"B{i}"}} for i in range(2)),
    "a 21-character title": lambda m: m["action"]["buttons"][0]["reply"].update(title="t" * 21),
    "an emoji past 20": lambda m: m["action"]["buttons"][0]["reply"].update(title="👍" + "t" * 19),
    "a 257-character id": lambda m: m["action"]["buttons"][0]["reply"].update(id="i" * 257),
    "an id with a trailing space": lambda m: m["action"]["buttons"][0]["reply"].update(id="yes "),
    "two ids alike": lambda m: m["action"]["buttons"][1]["reply"].update(id="yes"),
    "two titles alike": lambda m: m["action"]["buttons"][1]["reply"].update(title="Yes"),
    "a 1025-character body": lambda m: m.update(body={"text": "b" * 1025}),
    "no body": lambda m: m.pop("body"),
    "a 61-character header": lambda m: m.update(header={"type": "text", "text": "h" * 61}),
    "a 61-character footer": lambda m: m.update(footer={"text": "f" * 61}),
}


@pytest.mark.parametrize("change", BUTTON_REFUSALS.values(), ids=BUTTON_REFUSALS.keys())
def test_reply_buttons_meta_refuses_are_refused_with_131009(sdk, twin, change):
    message = refusal(sdk, twin, changed(BUTTONS, change))

    assert message.startswith("(#131009) Parameter value is not valid: ")


def _eleven_rows(message):
    message["action"]["sections"][0]["rows"] = [{"id": f"r{i}", "title": f"Row {i}"} for i in range(10)]


LIST_REFUSALS = {
    "a 21-character button": lambda m: m["action"].update(button="o" * 21),
    "no button": lambda m: m["action"].pop("button"),
    "no sections": lambda m: m["action"].update(sections=[]),
    "eleven sections": lambda m: m["action"].update(sections=[
        {"title": f"S{i}", "rows": [{"id": f"r{i}", "title": "Row"}]} for i in range(11)]),
    "eleven rows in all": _eleven_rows,
    "a section without rows": lambda m: m["action"]["sections"][1].update(rows=[]),
    "an untitled section of two": lambda m: m["action"]["sections"][1].pop("title"),
    "a 25-character section title": lambda m: m["action"]["sections"][0].update(title="s" * 25),
    "a 25-character row title": lambda m: m["action"]["sections"][0]["rows"][0].update(title="t" * 25),
    "a 73-character description": lambda m: m["action"]["sections"][0]["rows"][0].update(
        description="d" * 73),
    "a 201-character row id": lambda m: m["action"]["sections"][0]["rows"][0].update(id="i" * 201),
    "two row ids alike": lambda m: m["action"]["sections"][1]["rows"][0].update(id="status"),
    "a 4097-character body": lambda m: m.update(body={"text": "b" * 4097}),
    "an image header": lambda m: m.update(header={"type": "image", "image": {"id": "1"}}),
    "a 61-character header": lambda m: m.update(header={"type": "text", "text": "h" * 61}),
    "an empty text header": lambda m: m.update(header={"type": "text", "text": ""}),
    "a 61-character footer": lambda m: m.update(footer={"text": "f" * 61}),
}


@pytest.mark.parametrize("change", LIST_REFUSALS.values(), ids=LIST_REFUSALS.keys())
def test_lists_meta_refuses_are_refused_with_131009(sdk, twin, change):
    message = refusal(sdk, twin, changed(LIST, change))

    assert message.startswith("(#131009) Parameter value is not valid: ")


def test_the_refusal_says_what_was_wrong(sdk, twin):
    assert refusal(sdk, twin, changed(BUTTONS, BUTTON_REFUSALS["a 21-character title"])) == (
        "(#131009) Parameter value is not valid: Button title length invalid. Min length: 1, "
        "Max length: 20")
