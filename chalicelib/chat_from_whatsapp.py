"""What the Amazon Connect agent reads for an inbound WhatsApp message or a failed delivery.

Connect's agent panel shows plain text, so every WhatsApp message kind becomes a few short lines.
Webhook payloads vary between Graph API versions and may lack fields, so nothing here raises:
a missing field degrades to a shorter note.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .interactive import chosen_title
from .templates import USAGE

MEDIA_TYPES = frozenset({"image", "video", "document", "audio", "sticker"})
MAP_LINK = "https://maps.google.com/?q={latitude},{longitude}"
UNDELIVERED = "⚠️ WhatsApp did not deliver your last message to the customer"

# Meta advises branching on the code rather than on its titles, which it plans to deprecate.
_ERROR_HINTS: dict[int, str] = {
    131047: ("More than 24 hours have passed since the customer last wrote; "
             f"only an approved template can reach them now: {USAGE} "
             "(/templates lists them)."),
    131026: ("The customer cannot be reached on WhatsApp: the number may not use WhatsApp, "
             "or the customer has not accepted its terms or uses an outdated app."),
    131053: "WhatsApp could not upload the media; check the file type and size, then try again.",
    130429: "WhatsApp's sending rate limit was reached; wait a moment, then try again.",
    131056: "Too many messages went to this customer in a short time; wait a moment, then try again.",
}

# A quoted button or list message is implied by the tap itself, so only these kinds show the quote.
_QUOTE_SHOWN_FOR = MEDIA_TYPES | {"text", "location", "contacts", "order"}

# Meta's Flows put this back-reference to the sent flow in every response; it means nothing to agents.
_FLOW_INTERNAL_FIELDS = frozenset({"flow_token"})


def render_for_agent(message: dict, sent_snippets: Mapping[str, str] | None = None) -> str:
    """The chat text for one element of Meta's `value.messages[]`; never empty.

    `sent_snippets` maps wamids of the business's earlier messages to a short excerpt, so that
    reactions and quoted replies can say what they refer to.
    """
    message = _as_dict(message)
    snippets: Mapping[str, str] = sent_snippets if isinstance(sent_snippets, Mapping) else {}
    kind = _message_type(message)
    body = _render_body(message, kind, snippets)
    return _with_context(message, kind, body, snippets)


def media_caption(message: dict) -> str | None:
    """The customer's caption on an image, video or document, as they wrote it."""
    message = _as_dict(message)
    kind = _message_type(message)
    if kind not in MEDIA_TYPES:
        return None
    caption = _as_dict(message.get(kind)).get("caption")
    return caption if isinstance(caption, str) and caption.strip() else None


def describe_status_failure(status: dict) -> str:
    """The one-line note for a Meta `statuses[]` element whose status is `failed`."""
    error = _first_error(_as_dict(status).get("errors"))
    code = _error_code(error.get("code"))
    title = _text(error.get("title"))
    meta_message = _text(error.get("message"))
    details = _text(_as_dict(error.get("error_data")).get("details"))
    reason = title or meta_message
    if reason and code is not None:
        reason = f"{reason} ({code})"
    elif code is not None:
        reason = f"error {code}"
    note = f"{UNDELIVERED}: {reason}." if reason else f"{UNDELIVERED}."
    explanation = (whatsapp_error_hint(code) or details
                   or (meta_message if title and meta_message != title else None))
    return f"{note} {_sentence(explanation)}" if explanation else note


def whatsapp_error_hint(code: int | str | None) -> str | None:
    """What a Meta error code means for the agent, for the codes the bridge expects to meet."""
    number = _error_code(code)
    return _ERROR_HINTS.get(number) if number is not None else None


def _render_body(message: dict, kind: str | None, snippets: Mapping[str, str]) -> str:
    if kind is None:
        return "The customer sent a message, which this bridge cannot show."
    if kind == "sticker":
        return _render_sticker(message)
    if kind == "text":
        return _render_text(message)
    if kind == "reaction":
        return _render_reaction(message, snippets)
    if kind == "location":
        return _render_location(message)
    if kind == "contacts":
        return _render_contacts(message)
    if kind == "interactive":
        return _render_interactive(message)
    if kind == "button":
        return _render_button(message)
    if kind == "order":
        return _render_order(message)
    if kind == "system":
        return _render_system(message)
    if kind in ("unsupported", "unknown"):
        return _render_unsupported(message)
    return _cannot_show(kind)


def _with_context(message: dict, kind: str | None, body: str, snippets: Mapping[str, str]) -> str:
    context = _as_dict(message.get("context"))
    if context.get("frequently_forwarded") is True:
        body = f"[Forwarded many times] {body}"
    elif context.get("forwarded") is True:
        body = f"[Forwarded] {body}"
    quoted = _snippet(snippets, context.get("id")) if kind in _QUOTE_SHOWN_FOR else None
    return f'↩ Replying to: "{quoted}"\n{body}' if quoted else body


def _render_text(message: dict) -> str:
    body = _as_dict(message.get("text")).get("body")
    return body if isinstance(body, str) and body.strip() else "The customer sent an empty message."


def _render_reaction(message: dict, snippets: Mapping[str, str]) -> str:
    reaction = _as_dict(message.get("reaction"))
    emoji = _text(reaction.get("emoji"))
    target = _snippet(snippets, reaction.get("message_id"))
    # Meta omits `emoji` when the customer takes a reaction back.
    if not emoji:
        return f'Removed a reaction from: "{target}"' if target else "Removed a reaction"
    return f'Reacted {emoji} to: "{target}"' if target else f"Reacted {emoji} to an earlier message"


def _render_location(message: dict) -> str:
    location = _as_dict(message.get("location"))
    name = _text(location.get("name"))
    address = _text(location.get("address"))
    latitude = _coordinate(location.get("latitude"))
    longitude = _coordinate(location.get("longitude"))
    lines = [f"📍 Sent a location: {name}" if name else "📍 Sent a location"]
    if address:
        lines.append(address)
    if latitude and longitude:
        lines.append(MAP_LINK.format(latitude=latitude, longitude=longitude))
    return "\n".join(lines)


def _render_contacts(message: dict) -> str:
    cards = [card for card in _as_list(message.get("contacts")) if isinstance(card, dict)]
    if not cards:
        return "👤 Sent a contact card that could not be read"
    if len(cards) == 1:
        return "\n".join([f"👤 Sent a contact: {_contact_name(cards[0])}", *_contact_details(cards[0])])
    lines = [f"👤 Sent {len(cards)} contacts:"]
    for number, card in enumerate(cards, start=1):
        lines += [f"{number}. {_contact_name(card)}", *_contact_details(card)]
    return "\n".join(lines)


def _contact_name(card: dict) -> str:
    name = _as_dict(card.get("name"))
    formatted = _text(name.get("formatted_name"))
    if formatted:
        return formatted
    parts = (_text(name.get(key)) for key in ("prefix", "first_name", "middle_name", "last_name", "suffix"))
    return " ".join(part for part in parts if part) or "Unnamed contact"


def _contact_details(card: dict) -> list[str]:
    lines = []
    for phone in _as_list(card.get("phones")):
        phone = _as_dict(phone)
        number = _text(phone.get("phone")) or _text(phone.get("wa_id"))
        if number:
            lines.append(f"{_labelled('Phone', phone.get('type'))}: {number}")
    for email in _as_list(card.get("emails")):
        email = _as_dict(email)
        address = _text(email.get("email"))
        if address:
            lines.append(f"{_labelled('Email', email.get('type'))}: {address}")
    return lines


def _labelled(label: str, kind: Any) -> str:
    kind = _text(kind)
    return f"{label} ({kind})" if kind else label


def _render_interactive(message: dict) -> str:
    # A tap arrives as the chosen option's full title alone (WhatsApp shows a shortened one when
    # it is long), exactly what a typed answer would be, so a Lex bot in the contact flow matches
    # it like any other utterance.
    interactive = _as_dict(message.get("interactive"))
    kind = _text(interactive.get("type"))
    reply = _as_dict(interactive.get(kind)) if kind else {}
    if kind == "button_reply":
        return chosen_title(reply) or "Selected a reply button"
    if kind == "list_reply":
        return chosen_title(reply) or "Selected an option from a list"
    if kind == "nfm_reply":
        fields = _flow_fields(reply.get("response_json"))
        if not fields:
            return "📝 Submitted a form"
        return "\n".join(["📝 Submitted a form:", *(f"{key}: {value}" for key, value in fields)])
    return _cannot_show("interactive")


def _flow_fields(response_json: Any) -> list[tuple[str, str]]:
    if not isinstance(response_json, str):
        return []
    try:
        response = json.loads(response_json)
    except ValueError:
        return []
    if not isinstance(response, dict):
        return []
    return [(str(key), _field_value(value)) for key, value in response.items()
            if key not in _FLOW_INTERNAL_FIELDS]


def _field_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _render_button(message: dict) -> str:
    button = _as_dict(message.get("button"))
    label = _text(button.get("text")) or _text(button.get("payload"))
    return label or "Selected a button"


def _render_order(message: dict) -> str:
    order = _as_dict(message.get("order"))
    items = [item for item in _as_list(order.get("product_items")) if isinstance(item, dict)]
    if items:
        lines = [f"🛒 Sent an order with {len(items)} item{'s' if len(items) != 1 else ''}:"]
        lines += [_order_line(item) for item in items]
    else:
        lines = ["🛒 Sent an order"]
    note = _text(order.get("text"))
    if note:
        lines.append(note)
    return "\n".join(lines)


def _order_line(item: dict) -> str:
    line = f"- {_plain(item.get('product_retailer_id')) or 'unknown product'}"
    quantity = _plain(item.get("quantity"))
    if quantity:
        line += f" × {quantity}"
    price = _plain(item.get("item_price"))
    if price:
        currency = _plain(item.get("currency"))
        line += f", {price} {currency} each" if currency else f", {price} each"
    return line


def _render_system(message: dict) -> str:
    system = _as_dict(message.get("system"))
    body = system.get("body")
    if isinstance(body, str) and body.strip():
        return body
    kind = _text(system.get("type"))
    return f"WhatsApp sent a system notice ({kind})" if kind else "WhatsApp sent a system notice"


def _render_unsupported(message: dict) -> str:
    kind = _text(_as_dict(message.get("unsupported")).get("type"))
    code = _error_code(_first_error(message.get("errors")).get("code"))
    note = (f"The customer sent {_article(kind)} {kind} message, which WhatsApp does not pass on"
            if kind else "The customer sent a message type that WhatsApp does not pass on")
    return f"{note} (error {code})." if code is not None else f"{note}."


def _render_sticker(message: dict) -> str:
    # Images, documents, video and audio become chat attachments; a sticker stays a note.
    sticker = _as_dict(message.get("sticker"))
    return "🖼️ Sent an animated sticker" if sticker.get("animated") is True else "🖼️ Sent a sticker"


def _cannot_show(kind: str) -> str:
    return f"The customer sent {_article(kind)} {kind} message, which this bridge cannot show."


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _snippet(snippets: Mapping[str, str], wamid: Any) -> str | None:
    if not isinstance(wamid, str) or not wamid:
        return None
    snippet = snippets.get(wamid)
    if not isinstance(snippet, str):
        return None
    # The quote sits on one line above the customer's words.
    return " ".join(snippet.split()) or None


def _first_error(errors: Any) -> dict:
    return next((error for error in _as_list(errors) if isinstance(error, dict)), {})


def _error_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return None


def _coordinate(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        if not math.isfinite(float(value)):
            return None
    except ValueError:
        return None
    # Meta sends numbers, but older payloads used strings; keep a string's own precision.
    return value.strip() if isinstance(value, str) else str(value)


def _plain(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return _text(value)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _message_type(message: dict) -> str | None:
    return _text(message.get("type"))


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []
