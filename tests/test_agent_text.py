"""What the agent reads for each inbound WhatsApp message kind, from the reference events."""
from __future__ import annotations

import json

import pytest

from chalicelib.chat_from_whatsapp import (
    describe_status_failure,
    media_caption,
    render_for_agent,
    whatsapp_error_hint,
)
from tests.repository import load_event

EARLIER_BUSINESS_MESSAGE = "wamid.HBgLMTU1NTAxMDAwMDEVAgARGBIzMkY5MkU1NjEyQjg2MkIyQjAA"
SNIPPETS = {EARLIER_BUSINESS_MESSAGE: "Your order ships to\n123 Example Ave. Is that right?"}
QUOTED = '"Your order ships to 123 Example Ave. Is that right?"'
HINT_131047 = ("More than 24 hours have passed since the customer last wrote; "
               "only an approved template can reach them now: /template NAME [LANGUAGE] [PARAMETER …] "
               "(/templates lists them).")


def webhook_items(fixture: str, field: str) -> list[dict]:
    """Meta's `value.messages[]` or `value.statuses[]` from every record of one fixture."""
    items: list[dict] = []
    for record in load_event(fixture)["Records"]:
        envelope = json.loads(record["Sns"]["Message"])
        entry = json.loads(envelope["whatsAppWebhookEntry"])
        for change in entry["changes"]:
            items.extend(change["value"].get(field, []))
    return items


def only_message(fixture: str) -> dict:
    messages = webhook_items(fixture, "messages")
    assert len(messages) == 1
    return messages[0]


@pytest.mark.parametrize(("fixture", "snippets", "expected"), [
    ("eum-text.json", None, "Hi, I need help with my order"),
    ("eum-second-number.json", None, "Hello, is this the billing line?"),
    ("eum-text-reply-context.json", SNIPPETS,
     f"↩ Replying to: {QUOTED}\nYes, that is the right address"),
    ("eum-text-reply-context.json", {}, "Yes, that is the right address"),
    ("eum-reaction.json", SNIPPETS, f"Reacted 👍 to: {QUOTED}"),
    ("eum-reaction.json", None, "Reacted 👍 to an earlier message"),
    ("eum-reaction-removed.json", SNIPPETS, f"Removed a reaction from: {QUOTED}"),
    ("eum-reaction-removed.json", None, "Removed a reaction"),
    ("eum-location.json", None,
     "📍 Sent a location: Example Coffee Roasters\n"
     "123 Example Ave, Seattle, WA 98101\n"
     "https://maps.google.com/?q=47.6062095,-122.3320708"),
    ("eum-contacts.json", None, "👤 Sent a contact: Carlos Mendes\nPhone (CELL): +1 (206) 555-0142"),
    # The tap quotes the message that carried the buttons; the choice alone is what matters.
    ("eum-interactive-button-reply.json", SNIPPETS, "Talk to an agent"),
    ("eum-interactive-list-reply.json", None, "Order status"),
    ("eum-button.json", None, "Confirm delivery"),
    ("eum-unsupported.json", None,
     "The customer sent a message type that WhatsApp does not pass on (error 131051)."),
    ("eum-sticker.json", None, "🖼️ Sent a sticker"),
])
def test_fixture_message_as_agent_reads_it(fixture, snippets, expected):
    assert render_for_agent(only_message(fixture), snippets) == expected


def test_each_message_of_a_burst_renders_on_its_own():
    texts = [render_for_agent(message) for message in webhook_items("eum-text-burst.json", "messages")]
    assert texts == ["The order number is 4521", "Hello again", "My package has not arrived yet"]


def test_media_caption():
    assert media_caption(only_message("eum-image.json")) == "Photo of the damaged box"
    assert media_caption(only_message("eum-document.json")) == "My receipt"
    assert media_caption(only_message("eum-video.json")) is None
    assert media_caption(only_message("eum-text.json")) is None
    assert media_caption({"type": "image", "image": {"caption": "   "}}) is None


@pytest.mark.parametrize(("message", "expected"), [
    ({"type": "order", "order": {
        "catalog_id": "1234", "text": "Please gift wrap",
        "product_items": [
            {"product_retailer_id": "SKU-MUG", "quantity": 2, "item_price": 12.5, "currency": "USD"},
            {"product_retailer_id": "SKU-TEE", "quantity": "1", "item_price": "20", "currency": "USD"},
        ]}},
     "🛒 Sent an order with 2 items:\n- SKU-MUG × 2, 12.5 USD each\n- SKU-TEE × 1, 20 USD each\n"
     "Please gift wrap"),
    ({"type": "order", "order": {"product_items": [{"product_retailer_id": "SKU-MUG", "quantity": 1}]}},
     "🛒 Sent an order with 1 item:\n- SKU-MUG × 1"),
    ({"type": "order", "order": {}}, "🛒 Sent an order"),
    ({"type": "system", "system": {"body": "Ana changed their phone number to 15550100009",
                                   "type": "customer_changed_number"}},
     "Ana changed their phone number to 15550100009"),
    ({"type": "system", "system": {"type": "user_changed_user_id"}},
     "WhatsApp sent a system notice (user_changed_user_id)"),
    ({"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {
        "name": "flow", "body": "Sent",
        "response_json": json.dumps({"flow_token": "abc", "rating": "5", "topics": ["billing", "delivery"],
                                     "comment": "Quick and kind"})}}},
     '📝 Submitted a form:\nrating: 5\ntopics: ["billing", "delivery"]\ncomment: Quick and kind'),
    ({"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": "{oops"}}},
     "📝 Submitted a form"),
    ({"type": "interactive", "interactive": {"type": "call_permission_reply"}},
     "The customer sent an interactive message, which this bridge cannot show."),
    ({"type": "text", "text": {"body": "Look at this deal"}, "context": {"forwarded": True}},
     "[Forwarded] Look at this deal"),
    ({"type": "text", "text": {"body": "Share with 10 friends"}, "context": {"frequently_forwarded": True}},
     "[Forwarded many times] Share with 10 friends"),
    ({"type": "unsupported", "unsupported": {"type": "poll"}, "errors": [{"code": 131051}]},
     "The customer sent a poll message, which WhatsApp does not pass on (error 131051)."),
    ({"type": "unknown"}, "The customer sent a message type that WhatsApp does not pass on."),
    ({"type": "sticker", "sticker": {"animated": True}}, "🖼️ Sent an animated sticker"),
    ({"type": "location", "location": {"latitude": "38.7223", "longitude": "-9.1393"}},
     "📍 Sent a location\nhttps://maps.google.com/?q=38.7223,-9.1393"),
    ({"type": "contacts", "contacts": [
        {"name": {"formatted_name": "Carlos Mendes"},
         "phones": [{"phone": "+1 206 555 0142", "type": "WORK"}, {"wa_id": "12065550143"}]},
        {"name": {"first_name": "Bea", "last_name": "Lima"},
         "emails": [{"email": "bea@example.com", "type": "HOME"}]},
    ]},
     "👤 Sent 2 contacts:\n1. Carlos Mendes\nPhone (WORK): +1 206 555 0142\nPhone: 12065550143\n"
     "2. Bea Lima\nEmail (HOME): bea@example.com"),
    ({"type": "ephemeral"}, "The customer sent an ephemeral message, which this bridge cannot show."),
    ({"type": "poll", "poll": {}}, "The customer sent a poll message, which this bridge cannot show."),
])
def test_hand_built_message_as_agent_reads_it(message, expected):
    assert render_for_agent(message) == expected


@pytest.mark.parametrize(("message", "expected"), [
    ({}, "The customer sent a message, which this bridge cannot show."),
    ({"type": "text"}, "The customer sent an empty message."),
    ({"type": "text", "text": {"body": None}, "context": "odd"}, "The customer sent an empty message."),
    ({"type": "reaction", "reaction": None}, "Removed a reaction"),
    ({"type": "reaction", "reaction": {"emoji": "❤️", "message_id": ["odd"]}},
     "Reacted ❤️ to an earlier message"),
    ({"type": "location", "location": {"latitude": True, "longitude": "far"}}, "📍 Sent a location"),
    ({"type": "contacts", "contacts": "odd"}, "👤 Sent a contact card that could not be read"),
    ({"type": "contacts", "contacts": [{}]}, "👤 Sent a contact: Unnamed contact"),
    ({"type": "interactive"}, "The customer sent an interactive message, which this bridge cannot show."),
    ({"type": "interactive", "interactive": {"type": "button_reply"}}, "Selected a reply button"),
    ({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {}}},
     "Selected an option from a list"),
    ({"type": "button", "button": {"payload": "confirm-delivery"}}, "confirm-delivery"),
    ({"type": "button"}, "Selected a button"),
    ({"type": "order", "order": {"product_items": [{"quantity": None, "item_price": 3}]}},
     "🛒 Sent an order with 1 item:\n- unknown product, 3 each"),
    ({"type": "system"}, "WhatsApp sent a system notice"),
    ({"type": "unsupported", "errors": "odd"},
     "The customer sent a message type that WhatsApp does not pass on."),
    ({"type": ["odd"]}, "The customer sent a message, which this bridge cannot show."),
])
def test_missing_or_odd_fields_degrade_to_a_short_note(message, expected):
    assert render_for_agent(message, {"wamid.x": "ignored"}) == expected


def test_a_non_dict_message_still_gets_a_note():
    note = render_for_agent(None)  # type: ignore[arg-type]
    assert note == "The customer sent a message, which this bridge cannot show."


def test_failed_status_for_the_24_hour_window():
    [status] = webhook_items("eum-status-failed.json", "statuses")
    assert describe_status_failure(status) == (
        "⚠️ WhatsApp did not deliver your last message to the customer: "
        f"Re-engagement message (131047). {HINT_131047}")


@pytest.mark.parametrize(("error", "expected"), [
    ({"code": 131000, "title": "Something went wrong", "message": "Something went wrong",
      "error_data": {"details": "Unknown error, please retry"}},
     "Something went wrong (131000). Unknown error, please retry."),
    ({"code": 131999, "title": "Odd failure", "message": "The recipient is busy"},
     "Odd failure (131999). The recipient is busy."),
    ({"code": "131026", "title": "Message undeliverable"},
     "Message undeliverable (131026). The customer cannot be reached on WhatsApp: the number may "
     "not use WhatsApp, or the customer has not accepted its terms or uses an outdated app."),
    ({"code": 131999}, "error 131999."),
])
def test_failed_status_with_other_errors(error, expected):
    status = {"id": "wamid.x", "status": "failed", "errors": [error]}
    assert describe_status_failure(status) == (
        f"⚠️ WhatsApp did not deliver your last message to the customer: {expected}")


def test_failed_status_without_errors():
    assert describe_status_failure({"status": "failed"}) == (
        "⚠️ WhatsApp did not deliver your last message to the customer.")


@pytest.mark.parametrize(("code", "expected"), [
    (131047, HINT_131047),
    ("131047", HINT_131047),
    (131053, "WhatsApp could not upload the media; check the file type and size, then try again."),
    (130429, "WhatsApp's sending rate limit was reached; wait a moment, then try again."),
    (131056, "Too many messages went to this customer in a short time; wait a moment, then try again."),
    (131000, None),
    (None, None),
    ("not a code", None),
])
def test_whatsapp_error_hint(code, expected):
    assert whatsapp_error_hint(code) == expected
