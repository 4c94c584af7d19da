"""Connect interactive messages as WhatsApp lists and buttons; the customer's choice back in full.

The customer's tap comes back as the option's full title.

A Connect template (Amazon Connect admin guide, "Add Amazon Lex interactive messages for customers
in chat") becomes:

- QuickReply or Panel with up to 3 options: WhatsApp reply buttons;
- ListPicker, or QuickReply or Panel with 4 to 10 options: a WhatsApp list;
- anything else (TimePicker, Carousel, more than 10 options, an option that opens a link, a
  question longer than an interactive body): None, and the caller sends numbered text.

WhatsApp shows 20 characters of a button title and 24 of a row title, so longer titles are
shortened with an ellipsis for display only. Each option's id carries its index (ids must be
unique, titles need not be) and its full title, and WhatsApp hands the id back verbatim with the
tap, so the agent or Lex bot reads the full title without any state kept by the bridge.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .formatting import markdown_to_whatsapp

# Meta's limits for interactive reply buttons and list messages.
BODY_MAX = 1024  # the reply-buttons page's limit; the list page allows 4096, one limit serves both
BUTTON_TITLE_MAX = 20
MAX_BUTTONS = 3
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200  # a button id may have 256; both kinds of id keep to the smaller limit
MAX_ROWS = 10  # across all sections
SECTION_TITLE_MAX = 24

LIST_BUTTON = "Options"  # the list's button text, at most 20 characters
# Meta's list page marks a section's title required (at most 24 characters): the one section the
# bridge sends has this one.
LIST_SECTION_TITLE = "Choose one"
ELLIPSIS = "…"
CHOICE_TEMPLATES = frozenset({"ListPicker", "QuickReply", "Panel"})
LIST_PICKER = "ListPicker"

# `connect:<index>:<full title>`, for buttons and rows alike.
_ID_PREFIX = "connect:"
_OUR_ID = re.compile(re.escape(_ID_PREFIX) + r"(\d{1,2}):(.+)", re.DOTALL)


@dataclass(frozen=True)
class Option:
    title: str  # in full (trimmed), as the template has it: what the customer's tap must give back
    subtitle: str | None


@dataclass(frozen=True)
class _Choice:
    template_type: str
    question: str
    options: tuple[Option, ...]


def whatsapp_interactive(content: str) -> dict | None:
    """The `interactive` object of a WhatsApp message for a Connect interactive message's content,
    or None when WhatsApp cannot show it as buttons or a list."""
    choice = _choice(content)
    if choice is None or not 1 <= len(choice.options) <= MAX_ROWS:
        return None
    if not choice.question or _length(choice.question) > BODY_MAX:
        return None
    if any(_length(option_id(index, option.title)) > ROW_ID_MAX
           for index, option in enumerate(choice.options)):
        # The id cannot carry this title in full: numbered text shows it whole, so nothing
        # shortened ever reaches the agent or the bot.
        return None
    if choice.template_type != LIST_PICKER and len(choice.options) <= MAX_BUTTONS:
        buttons = _reply_buttons(choice)
        if buttons is not None:
            return buttons
    return _list(choice)


def template_images(content: str) -> int:
    """How many images (`imageData`) the template carries: none of them reaches WhatsApp."""
    template = _loads(content)
    body = _content(template) if template is not None else None
    if body is None:
        return 0
    elements = [e for e in _as_list(body.get("elements")) if isinstance(e, dict)]
    return sum(1 for part in [body, *elements] if _text(part.get("imageData")))


def option_id(index: int, title: str) -> str:
    return f"{_ID_PREFIX}{index}:{title}"


def chosen_title(reply: Any) -> str | None:
    """What the agent or bot reads for a WhatsApp `button_reply` or `list_reply`: the option's full
    title when the id is one of ours, else the title WhatsApp showed (or the id)."""
    reply = reply if isinstance(reply, dict) else {}
    reply_id = reply.get("id")
    match = _OUR_ID.fullmatch(reply_id) if isinstance(reply_id, str) else None
    return ((_text(match.group(2)) if match else None)
            or _text(reply.get("title")) or _text(reply_id))


def _reply_buttons(choice: _Choice) -> dict | None:
    titles = [_shorten(_one_line(option.title), BUTTON_TITLE_MAX) for option in choice.options]
    if len(set(titles)) < len(titles):
        return None  # WhatsApp refuses two buttons with one title; a list's rows may share one
    buttons = [{"type": "reply", "reply": {"id": option_id(index, option.title), "title": title}}
               for index, (option, title) in enumerate(zip(choice.options, titles))]
    return {"type": "button", "body": {"text": choice.question}, "action": {"buttons": buttons}}


def _list(choice: _Choice) -> dict:
    rows = [_row(index, option) for index, option in enumerate(choice.options)]
    return {"type": "list", "body": {"text": choice.question},
            "action": {"button": LIST_BUTTON,
                       "sections": [{"title": LIST_SECTION_TITLE, "rows": rows}]}}


def _row(index: int, option: Option) -> dict:
    full_title = _one_line(option.title)
    title = _shorten(full_title, ROW_TITLE_MAX)
    row = {"id": option_id(index, option.title), "title": title}
    # A shortened title without a subtitle is shown whole below, where 72 characters fit.
    description = option.subtitle or (full_title if title != full_title else None)
    if description:
        row["description"] = _shorten(_one_line(description), ROW_DESCRIPTION_MAX)
    return row


def _choice(content: str) -> _Choice | None:
    template = _loads(content)
    body = _content(template) if template is not None else None
    template_type = template.get("templateType") if body is not None else None
    if not isinstance(template_type, str) or template_type not in CHOICE_TEMPLATES:
        return None
    options = [_option(element) for element in _as_list(body.get("elements"))]
    if any(option is None for option in options):
        return None
    question = "\n".join(text for text in (_text(body.get("title")), _text(body.get("subtitle")))
                         if text)
    return _Choice(template_type=template_type,
                   question=markdown_to_whatsapp(question) if question else "",
                   options=tuple(options))


def _option(element: Any) -> Option | None:
    """None for what a tap cannot answer: an element without a title, or a link to open."""
    if not isinstance(element, dict) or element.get("type") == "hyperlink":
        return None
    title = _text(element.get("title"))
    if title is None:
        return None
    # Trimmed: the title is carried in the option's id, which Meta takes without leading or
    # trailing spaces (the index before it keeps ids unique).
    return Option(title=title, subtitle=_text(element.get("subtitle")))


def _loads(content: str) -> dict | None:
    try:
        template = json.loads(content)
    except (TypeError, ValueError, RecursionError):
        return None
    return template if isinstance(template, dict) else None


def _content(template: dict) -> dict | None:
    data = template.get("data")
    body = data.get("content") if isinstance(data, dict) else None
    return body if isinstance(body, dict) else None


def _shorten(text: str, limit: int) -> str:
    if _length(text) <= limit:
        return text
    cut = text[:limit]
    while _length(cut) > limit - len(ELLIPSIS):
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def _length(text: str) -> int:
    """Length in UTF-16 code units, as Java and JavaScript count: an emoji outside the BMP counts
    twice, so a text that fits here fits whether Meta counts code units or code points."""
    return len(text.encode("utf-16-le")) // 2


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []
