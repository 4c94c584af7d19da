"""What the customer reads for an agent's or bot's chat message: markdown as WhatsApp formatting,
an interactive message as numbered options."""
from __future__ import annotations

import json

from .formatting import markdown_to_whatsapp
from .streaming import INTERACTIVE, TEXT_MARKDOWN, StreamingItem


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
