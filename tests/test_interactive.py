"""Connect interactive messages reach WhatsApp as reply buttons or a list within Meta's limits, and
the customer's tap reaches the agent or bot as the option's full title."""
import json

import pytest

from chalicelib import interactive
from chalicelib.whatsapp_from_chat import whatsapp_payloads
from chalicelib.streaming import parse_streaming_record

from tests.conftest import CUSTOMER_WA_ID, load_event, with_messages

INTERACTIVE = "application/vnd.amazonaws.connect.message.interactive"
LONG_TITLE = "Check the status of my most recent order"  # 40 characters


def template(kind, title, elements, subtitle=None, **content):
    body = {"title": title, "elements": elements, **content}
    if subtitle:
        body["subtitle"] = subtitle
    return json.dumps({"templateType": kind, "version": "1.0", "data": {"content": body}})


def options(*titles):
    return [{"title": title} for title in titles]


def streamed(event_name, **body_changes):
    """The reference streaming event as on_connect_event parses it, with its body changed."""
    record = json.loads(json.dumps(load_event(event_name)["Records"][0]))
    body = json.loads(record["Sns"]["Message"])
    body.update(body_changes)
    record["Sns"]["Message"] = json.dumps(body)
    return parse_streaming_record(record)


def units(text):
    """Length in UTF-16 code units: at least what Meta counts, however it counts characters."""
    return len(text.encode("utf-16-le")) // 2


def assert_within_whatsapp_limits(message):
    """Every limit of Meta's reply-buttons and list messages, on a whole outbound payload."""
    assert message["type"] == "interactive"
    box = message["interactive"]
    assert set(box) <= {"type", "header", "body", "footer", "action"}
    assert 1 <= units(box["body"]["text"]) <= 1024
    if "header" in box:
        assert box["header"]["type"] == "text" and units(box["header"]["text"]) <= 60
    if "footer" in box:
        assert units(box["footer"]["text"]) <= 60
    if box["type"] == "button":
        buttons = box["action"]["buttons"]
        assert 1 <= len(buttons) <= 3
        assert all(button["type"] == "reply" for button in buttons)
        titles = [button["reply"]["title"] for button in buttons]
        ids = [button["reply"]["id"] for button in buttons]
        assert all(1 <= units(title) <= 20 for title in titles)
        assert len(set(titles)) == len(titles)
        assert all(1 <= units(i) <= 256 for i in ids) and len(set(ids)) == len(ids)
        assert all(i == i.strip() for i in ids)
    else:
        assert box["type"] == "list"
        assert 1 <= units(box["action"]["button"]) <= 20
        sections = box["action"]["sections"]
        assert 1 <= len(sections) <= 10
        # Meta's list page marks a section's title required, at most 24 characters.
        assert all(1 <= units(section["title"]) <= 24 for section in sections)
        rows = [row for section in sections for row in section["rows"]]
        assert 1 <= len(rows) <= 10
        assert all(1 <= units(row["title"]) <= 24 for row in rows)
        assert all(units(row.get("description", "")) <= 72 for row in rows)
        ids = [row["id"] for row in rows]
        assert all(1 <= units(i) <= 200 for i in ids) and len(set(ids)) == len(ids)
        assert all(i == i.strip() for i in ids)  # no leading or trailing spaces


def sent(content):
    """The WhatsApp payloads for a bot message with this interactive content."""
    payloads = whatsapp_payloads(streamed("connect-interactive-listpicker", Content=content),
                                 CUSTOMER_WA_ID)
    for payload in payloads:
        if payload["type"] == "interactive":
            assert_within_whatsapp_limits(payload)
    return payloads


def interactive_of(content):
    (payload,) = sent(content)
    assert payload["messaging_product"] == "whatsapp" and payload["to"] == CUSTOMER_WA_ID
    return payload["interactive"]


def numbered_text(content):
    """What the customer gets when WhatsApp cannot show the message as buttons or a list."""
    payloads = sent(content)
    assert all(payload["type"] == "text" for payload in payloads)
    return "".join(payload["text"]["body"] for payload in payloads)


def test_the_reference_list_picker_becomes_a_list():
    (payload,) = whatsapp_payloads(streamed("connect-interactive-listpicker"), CUSTOMER_WA_ID)

    assert payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER_WA_ID,
        "type": "interactive", "interactive": {
            "type": "list",
            "body": {"text": "How can we help you today?\nTap to select an option"},
            "action": {"button": "Options", "sections": [{"title": "Choose one", "rows": [
                {"id": "connect:0:Order status", "title": "Order status",
                 "description": "Track a recent order"},
                {"id": "connect:1:Returns", "title": "Returns", "description": "Start a return"},
                {"id": "connect:2:Talk to an agent", "title": "Talk to an agent"},
            ]}]}}}
    assert_within_whatsapp_limits(payload)


def test_the_reference_quick_reply_becomes_reply_buttons():
    (payload,) = whatsapp_payloads(streamed("connect-interactive-quickreply"), CUSTOMER_WA_ID)

    assert payload["interactive"] == {
        "type": "button",
        "body": {"text": "Was this answer helpful?"},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": "connect:0:Yes", "title": "Yes"}},
            {"type": "reply", "reply": {"id": "connect:1:No", "title": "No"}},
        ]}}
    assert_within_whatsapp_limits(payload)


def test_a_panel_of_three_becomes_buttons_and_its_image_is_dropped_with_a_log_line(capsys):
    content = template("Panel", "How can I help you?", options(
        "Check self-service options", "Talk to an agent", "End chat"),
        subtitle="Tap to select option", imageType="URL",
        imageData="https://interactive-msg.s3-us-west-2.amazonaws.com/company.jpg")
    capsys.readouterr()

    assert interactive_of(content) == {
        "type": "button",
        "body": {"text": "How can I help you?\nTap to select option"},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": "connect:0:Check self-service options",
                                        "title": "Check self-service…"}},
            {"type": "reply", "reply": {"id": "connect:1:Talk to an agent",
                                        "title": "Talk to an agent"}},
            {"type": "reply", "reply": {"id": "connect:2:End chat", "title": "End chat"}},
        ]}}
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()
               if "interactive_images_dropped" in line]
    assert line["images"] == 1
    assert line["contactId"] == "21a81720-8a48-4512-88e6-d4987715835e"


@pytest.mark.parametrize("kind", ["QuickReply", "Panel"])
def test_four_to_ten_quick_replies_or_panel_options_become_a_list(kind):
    titles = [f"Option {n}" for n in range(1, 11)]

    box = interactive_of(template(kind, "Pick one", options(*titles[:4])))
    assert box["type"] == "list"
    assert [row["title"] for row in box["action"]["sections"][0]["rows"]] == titles[:4]

    box = interactive_of(template(kind, "Pick one", options(*titles)))
    assert [row["id"] for row in box["action"]["sections"][0]["rows"]] == [
        f"connect:{index}:{title}" for index, title in enumerate(titles)]


def test_a_list_picker_of_one_is_still_a_list():
    box = interactive_of(template("ListPicker", "Confirm?", options("Confirm")))

    assert box == {"type": "list", "body": {"text": "Confirm?"}, "action": {
        "button": "Options",
        "sections": [{"title": "Choose one", "rows": [{"id": "connect:0:Confirm", "title": "Confirm"}]}]}}


def test_overlong_titles_and_descriptions_are_shortened_with_an_ellipsis():
    elements = [{"title": LONG_TITLE},
                {"title": "Returns", "subtitle": "Start a return " + "and more " * 10},
                {"title": LONG_TITLE + " please", "subtitle": "Orders from the last 30 days"}]

    rows = interactive_of(template("ListPicker", "Help", elements))["action"]["sections"][0]["rows"]

    assert rows == [
        # Shortened with no subtitle: the whole title is the row's description.
        {"id": f"connect:0:{LONG_TITLE}", "title": "Check the status of my…",
         "description": LONG_TITLE},
        {"id": "connect:1:Returns", "title": "Returns",
         "description": "Start a return and more and more and more and more and more and more an…"},
        {"id": f"connect:2:{LONG_TITLE} please", "title": "Check the status of my…",
         "description": "Orders from the last 30 days"},
    ]


def test_an_overlong_button_title_is_shortened_and_its_id_keeps_the_full_title():
    box = interactive_of(template("QuickReply", "Shall I book it?", options(
        "Yes, book the appointment for me", "No thanks")))

    assert box["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "connect:0:Yes, book the appointment for me",
                                    "title": "Yes, book the appoi…"}},
        {"type": "reply", "reply": {"id": "connect:1:No thanks", "title": "No thanks"}},
    ]


def test_emoji_count_as_meta_counts_them():
    # 👍 is two UTF-16 code units: 18 letters and the emoji are 20, one more would not fit.
    box = interactive_of(template("QuickReply", "Did that help?", options(
        "👍 Yes, that fixed it", "👍 Yes, it fixed it", "No")))

    assert [b["reply"]["title"] for b in box["action"]["buttons"]] == [
        "👍 Yes, that fixed…", "👍 Yes, it fixed it", "No"]


def test_duplicate_titles_keep_unique_ids_and_go_as_a_list_since_buttons_need_unique_titles():
    box = interactive_of(template("QuickReply", "Which one?", options("Yes", "Yes", "No")))

    assert box["type"] == "list"
    assert box["action"]["sections"][0]["rows"] == [
        {"id": "connect:0:Yes", "title": "Yes"},
        {"id": "connect:1:Yes", "title": "Yes"},
        {"id": "connect:2:No", "title": "No"},
    ]


def test_ids_carry_titles_without_leading_or_trailing_spaces_and_stay_unique():
    """Meta takes no id with leading or trailing spaces; a bot's titles may have them."""
    box = interactive_of(template("ListPicker", "Which one?", options(" Yes ", "Yes", "\tNo\n")))

    assert box["action"]["sections"] == [{"title": "Choose one", "rows": [
        {"id": "connect:0:Yes", "title": "Yes"},
        {"id": "connect:1:Yes", "title": "Yes"},
        {"id": "connect:2:No", "title": "No"},
    ]}]
    buttons = interactive_of(template("QuickReply", "Which one?", options(" Yes ", "No ")))
    assert [b["reply"]["id"] for b in buttons["action"]["buttons"]] == ["connect:0:Yes", "connect:1:No"]
    assert interactive.chosen_title({"id": "connect:0:Yes", "title": "Yes"}) == "Yes"


def test_titles_that_shorten_alike_become_list_rows_told_apart_by_their_description():
    box = interactive_of(template("Panel", "When?", options(
        "Appointment on Monday morning", "Appointment on Monday afternoon")))

    assert box["type"] == "list"
    assert box["action"]["sections"][0]["rows"] == [
        {"id": "connect:0:Appointment on Monday morning", "title": "Appointment on Monday m…",
         "description": "Appointment on Monday morning"},
        {"id": "connect:1:Appointment on Monday afternoon", "title": "Appointment on Monday a…",
         "description": "Appointment on Monday afternoon"},
    ]


def test_the_question_keeps_the_templates_markdown_as_whatsapp_formatting():
    box = interactive_of(template("QuickReply", "Is **this** right?", options("Yes", "No")))

    assert box["body"] == {"text": "Is *this* right?"}


def test_a_time_picker_is_numbered_text():
    content = json.dumps({"templateType": "TimePicker", "version": "1.0", "data": {"content": {
        "title": "Schedule appointment", "subtitle": "Tap to select option",
        "timeslots": [{"date": "2020-10-31T17:00+00:00", "duration": 60}]}}})

    assert interactive.whatsapp_interactive(content) is None
    assert numbered_text(content) == (
        "Schedule appointment\nTap to select option\n1. 2020-10-31T17:00+00:00 (60 min)")


def test_a_carousel_is_numbered_text():
    cards = [{"templateIdentifier": f"template{n}", "templateType": "Panel", "version": "1.0",
              "data": {"content": {"title": place, "elements": options(*choices)}}}
             for n, (place, choices) in enumerate([("California", ["Book flights", "Book hotels"]),
                                                    ("New York", ["Book flights"])])]
    content = json.dumps({"templateType": "Carousel", "version": "1.0", "data": {"content": {
        "title": "View our popular destinations", "elements": cards}}})

    assert interactive.whatsapp_interactive(content) is None
    assert numbered_text(content) == (
        "View our popular destinations\nCalifornia\n1. Book flights\n2. Book hotels\n"
        "New York\n3. Book flights")


def test_an_option_that_opens_a_link_is_numbered_text_with_the_link():
    content = template("Panel", "Read more", [
        {"title": "Our terms", "type": "hyperlink", "url": "https://example.com/terms"},
        {"title": "Talk to an agent"}])

    assert numbered_text(content) == (
        "Read more\n1. Our terms: https://example.com/terms\n2. Talk to an agent")


def test_more_than_ten_options_are_numbered_text():
    titles = [f"Option {n}" for n in range(1, 12)]
    text = numbered_text(template("ListPicker", "Pick one", options(*titles)))

    assert text.splitlines() == ["Pick one", *(f"{n}. Option {n}" for n in range(1, 12))]


@pytest.mark.parametrize("content", [
    json.dumps({"templateType": ["ListPicker"], "data": {"content": {"title": "Pick",
                                                                      "elements": options("Yes")}}}),
    # A title the id cannot carry whole: shortening it would hand the bot a different answer.
    template("QuickReply", "Pick", options("x" * 191, "No")),
    template("ListPicker", "q" * 1025, options("Yes", "No")),  # more than an interactive body
    template("ListPicker", "", options("Yes", "No")),  # WhatsApp needs a body
    template("Panel", "Read more", [{"title": "Our terms", "type": "hyperlink",
                                     "url": "https://example.com/terms"}]),  # a link, not a reply
    template("ListPicker", "Pick", []),
    template("ListPicker", "Pick", [{"subtitle": "no title"}]),
    template("SomethingNew", "Pick", options("Yes")),
    "not json", "[]", json.dumps({"templateType": "ListPicker", "data": []}),
])
def test_what_buttons_and_lists_cannot_show_is_numbered_text(content):
    assert interactive.whatsapp_interactive(content) is None
    assert sent(content)[0]["type"] == "text"


def test_the_longest_title_an_id_carries_still_goes_as_buttons():
    title = "x" * (200 - len("connect:0:"))

    box = interactive_of(template("QuickReply", "Pick", options(title, "No")))

    assert box["action"]["buttons"][0]["reply"]["id"] == f"connect:0:{title}"


def test_text_items_are_split_into_text_messages_as_before():
    first, second = "first " * 600, "second " * 500
    item = streamed("connect-agent-text", Content=f"{first.strip()}\n\n{second.strip()}")

    assert whatsapp_payloads(item, CUSTOMER_WA_ID) == [
        {"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER_WA_ID,
         "type": "text", "text": {"body": first.strip(), "preview_url": False}},
        {"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER_WA_ID,
         "type": "text", "text": {"body": second.strip(), "preview_url": False}},
    ]


@pytest.mark.parametrize(("reply", "title"), [
    ({"id": f"connect:0:{LONG_TITLE}", "title": "Check the status of my…"}, LONG_TITLE),
    ({"id": "connect:12:a: b", "title": "a: b"}, "a: b"),
    ({"id": "order-status", "title": "Order status"}, "Order status"),  # not ours: as today
    ({"id": "connect:x:Yes", "title": "Yes!"}, "Yes!"),
    ({"id": "connect:1:", "title": "Empty"}, "Empty"),
    ({"id": "only-an-id"}, "only-an-id"),
    ({}, None),
    ("not a reply", None),
])
def test_the_choice_the_agent_reads(reply, title):
    assert interactive.chosen_title(reply) == title


def tap(kind, option, message_id="wamid.tap"):
    """The customer's tap on a row or button the bridge sent, as WhatsApp reports it."""
    reply = option if kind == "list_reply" else option["reply"]
    return {"from": CUSTOMER_WA_ID, "id": message_id, "timestamp": "1763000500",
            "context": {"from": "15550100100", "id": "wamid.sent"},
            "type": "interactive", "interactive": {"type": kind, kind: {
                key: reply[key] for key in ("id", "title", "description") if key in reply}}}


def test_a_tapped_row_reaches_the_chat_as_the_full_title(bridge):
    content = template("ListPicker", "Help", [{"title": LONG_TITLE}, {"title": "Returns"}])
    (payload,) = whatsapp_payloads(streamed("connect-interactive-listpicker", Content=content),
                                   CUSTOMER_WA_ID)
    row = payload["interactive"]["action"]["sections"][0]["rows"][0]
    assert row["title"] == "Check the status of my…"

    bridge.deliver(load_event("eum-text"))
    bridge.twin.clear_calls()
    bridge.deliver(with_messages(load_event("eum-interactive-list-reply"), [tap("list_reply", row)]))

    (send,) = bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert send["params"]["Content"] == LONG_TITLE
    assert send["params"]["ContentType"] == "text/plain"


def test_a_tapped_button_opens_the_chat_with_the_full_title(bridge):
    content = template("QuickReply", "Shall I book it?", options(
        "Yes, book the appointment for me", "No thanks"))
    (payload,) = whatsapp_payloads(streamed("connect-interactive-quickreply", Content=content),
                                   CUSTOMER_WA_ID)
    button = payload["interactive"]["action"]["buttons"][0]

    bridge.deliver(with_messages(load_event("eum-interactive-button-reply"),
                                 [tap("button_reply", button)]))

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["InitialMessage"] == {
        "ContentType": "text/plain", "Content": "Yes, book the appointment for me"}
