"""The WhatsApp messages an agent's or bot's chat message becomes.

Markdown as WhatsApp formatting; an interactive message as buttons or a list, or as numbered options
when WhatsApp cannot show it that way."""
from __future__ import annotations

import json
from typing import Any

from . import interactive, logs, whatsapp
from .formatting import markdown_to_whatsapp, split_text
from .streaming import INTERACTIVE, TEXT_MARKDOWN, StreamingItem


def whatsapp_payloads(item: StreamingItem, to: str) -> list[dict]:
    """The WhatsApp messages, in order, that carry one chat message to the customer `to`."""
    if item.content_type == INTERACTIVE:
        images = interactive.template_images(item.content)
        if images:
            # Neither buttons nor lists take an image per option, and numbered text takes none.
            logs.info("interactive_images_dropped", contactId=item.initial_contact_id,
                      connectMessageId=item.id, images=images)
        choice = interactive.whatsapp_interactive(item.content)
        if choice is not None:
            return [whatsapp.interactive_message(to, choice)]
    return [whatsapp.text_message(to, chunk)
            for chunk in split_text(whatsapp_text(item), whatsapp.WHATSAPP_TEXT_MAX_CHARS)]


def whatsapp_text(item: StreamingItem) -> str:
    if item.content_type == TEXT_MARKDOWN:
        return markdown_to_whatsapp(item.content)
    if item.content_type == INTERACTIVE:
        return interactive_as_text(item.content)
    return item.content


def interactive_as_text(content: str) -> str:
    """An interactive message as numbered options; the customer answers with the title.

    A Carousel lists each card's options under the card's title, a TimePicker its time slots,
    and an option that opens a link shows the link.
    """
    try:
        body = json.loads(content)["data"]["content"]
    except (TypeError, KeyError, IndexError, ValueError, RecursionError):
        return content
    if not isinstance(body, dict):
        return content
    lines = _heading(body)
    number = 0
    for element in _as_list(body.get("elements")) + _as_list(body.get("timeslots")):
        card = _carousel_card(element)
        if card is not None:
            lines += _heading(card)
        for option in [element] if card is None else _as_list(card.get("elements")):
            line = _option_line(option)
            if line:
                number += 1
                lines.append(f"{number}. {line}")
    return "\n".join(lines) or content


def _heading(body: dict) -> list[str]:
    texts = (body.get("title"), body.get("subtitle"))
    return [text for text in texts if isinstance(text, str) and text]


def _carousel_card(element: Any) -> dict | None:
    """A Carousel's element is itself a template (a Panel or ListPicker) with its own options."""
    if not isinstance(element, dict) or not element.get("templateType"):
        return None
    data = element.get("data")
    card = data.get("content") if isinstance(data, dict) else None
    return card if isinstance(card, dict) else None


def _option_line(option: Any) -> str | None:
    if not isinstance(option, dict):
        return None
    title, subtitle, url = option.get("title"), option.get("subtitle"), option.get("url")
    if isinstance(title, str) and title:
        line = f"{title} ({subtitle})" if isinstance(subtitle, str) and subtitle else title
        return f"{line}: {url}" if isinstance(url, str) and url else line
    date, duration = option.get("date"), option.get("duration")  # a TimePicker's time slot
    if isinstance(date, str) and date:
        return f"{date} ({duration} min)" if isinstance(duration, int) else date
    return None


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []
