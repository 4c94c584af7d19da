"""What the customer receives for an agent's or bot's chat message: markdown as WhatsApp formatting,
an interactive message as WhatsApp buttons or a list, or as numbered options when WhatsApp cannot
show it that way."""
from __future__ import annotations

import json

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
    """A Lex ListPicker or QuickReply as numbered options; the customer answers with the title."""
    try:
        template = json.loads(content)
        body = template["data"]["content"]
    except (TypeError, KeyError, ValueError):
        return content
    lines = [text for text in (body.get("title"), body.get("subtitle")) if text]
    for number, element in enumerate(body.get("elements") or [], start=1):
        if isinstance(element, dict) and element.get("title"):
            subtitle = f" ({element['subtitle']})" if element.get("subtitle") else ""
            lines.append(f"{number}. {element['title']}{subtitle}")
    return "\n".join(lines) or content
