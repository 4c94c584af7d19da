"""What the agent reads for a conversation's buffered entries, as chat parts: pure functions.

Consecutive customer texts become one chat message; a file stands alone, its caption right after
it; a failed-status note stands alone. Each block of entries is composed on its own, so a retry
that pins an earlier attempt's block gets exactly the parts (and idempotency tokens) it had.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from . import buffer
from .chat_from_whatsapp import describe_status_failure, media_caption, render_for_agent
from .buffer import BufferedEntry
from .media import is_voice_note

ATTACHABLE_TYPES = frozenset({"image", "video", "document", "audio"})
# The bridge writes in the chat as the customer's participant, the only one it has, so the agent's
# workspace shows its notes under the customer's name. This prefix says who wrote them: plain ASCII,
# so it reads the same in every workspace, transcript export and screen reader; a tag in brackets,
# which neither WhatsApp's formatting nor Markdown gives a meaning to; and words a customer does not
# open a message with. The sandbox's console recognises it to draw the notes as system notes.
BRIDGE_NOTE_PREFIX = "[WhatsApp bridge] "


@dataclass(frozen=True)
class ChatText:
    """One chat message for the agent, and the buffered entries it carries."""

    text: str
    delivery_ids: tuple[str, ...]
    from_customer: bool
    # The WhatsApp timestamp of the newest customer message it carries (0 for the bridge's notes).
    written_at: int = 0
    # A note of the bridge's own that may open a chat, as customers' messages do.
    opens_chat: bool = False


@dataclass(frozen=True)
class ChatMedia:
    """A customer's file, to become a chat attachment (and, for a voice note, a transcript)."""

    entry: BufferedEntry
    from_customer = True

    @property
    def delivery_ids(self) -> tuple[str, ...]:
        return (delivery_id(self.entry),)

    @property
    def written_at(self) -> int:
        return self.entry.timestamp

    @property
    def is_voice_note(self) -> bool:
        audio = self.entry.body.get("audio")
        return self.entry.body.get("type") == "audio" and is_voice_note(
            audio if isinstance(audio, dict) else {})

    @property
    def attached_id(self) -> str:
        """Recorded once the file is in the chat. The entry's own id is recorded last, once all
        of it is delivered: with its caption, or a voice note with its transcript."""
        if self.is_voice_note or media_caption(self.entry.body):
            return f"{self.entry.message_id}#file"
        return delivery_id(self.entry)


ChatPart = ChatText | ChatMedia


def bridge_note(text: str) -> str:
    """A note of the bridge's own to the agent, marked as the bridge's."""
    return BRIDGE_NOTE_PREFIX + text


def _unlike_a_note(text: str) -> str:
    """A customer who writes the bridge's prefix must not pass for the bridge with the agent: their
    leading "[WhatsApp bridge]" reaches the chat as "(WhatsApp bridge)"."""
    marker = BRIDGE_NOTE_PREFIX.strip()
    written = text.lstrip()
    if not written.startswith(marker):
        return text
    return f"({marker[1:-1]}){written[len(marker):]}"


def delivery_id(entry: BufferedEntry) -> str:
    # A failed status carries the id of the business's own message; keep it apart from messages.
    return entry.message_id if entry.kind == buffer.KIND_MESSAGE else f"{entry.message_id}#failed"


def is_attachable(entry: BufferedEntry) -> bool:
    return entry.kind == buffer.KIND_MESSAGE and entry.body.get("type") in ATTACHABLE_TYPES


def compose(entries: Iterable[BufferedEntry], sent_snippets: Mapping[str, str]) -> list[ChatPart]:
    parts: list[ChatPart] = []

    def add_customer_text(text: str, entry: BufferedEntry) -> None:
        text = _unlike_a_note(text)
        last = parts[-1] if parts else None
        if isinstance(last, ChatText) and last.from_customer:
            parts[-1] = ChatText(f"{last.text}\n{text}", last.delivery_ids + (delivery_id(entry),),
                                 True, max(last.written_at, entry.timestamp))
        else:
            parts.append(ChatText(text, (delivery_id(entry),), True, entry.timestamp))

    for entry in entries:
        if entry.kind != buffer.KIND_MESSAGE:
            note = bridge_note(describe_status_failure(entry.body))
            parts.append(ChatText(note, (delivery_id(entry),), False))
        elif is_attachable(entry):
            parts.append(ChatMedia(entry))
            caption = media_caption(entry.body)
            if caption:
                add_customer_text(caption, entry)
        else:
            add_customer_text(render_for_agent(entry.body, sent_snippets), entry)
    return parts


def compose_blocks(blocks: Sequence[Sequence[BufferedEntry]],
                   sent_snippets: Mapping[str, str]) -> list[ChatPart]:
    """Each block composed alone: texts merge within a block, never across two."""
    return [part for block in blocks for part in compose(block, sent_snippets)]


def campaign_part(campaign: Mapping[str, Any]) -> ChatText:
    """What the agent reads first in the chat a customer's reply to start_conversation's template
    opens: the template as the customer read it. Its id is the template's WhatsApp message id, so
    a retry composes and delivers it the same way, once."""
    text = bridge_note(f"📋 The business started this conversation with the template "
                       f"{campaign.get('templateName', '')} ({campaign.get('language', '')}); "
                       f"the customer read:\n{campaign.get('text', '')}")
    return ChatText(text, (f"campaign#{campaign.get('whatsappMessageId', '')}",), False,
                    opens_chat=True)
