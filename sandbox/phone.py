"""What the sandbox's phone shows: the customer's own messages and what the business sent them,
read from the twin's SendWhatsAppMessage log.

- The business's messages carry WhatsApp's status for them (`sent`, `delivered`, `read`), which
  the page moves forward as the customer's phone would (`advance`), and the
  `biz_opaque_callback_data` they were sent with, which every status webhook echoes.
- The customer's messages turn `read` when the bridge sends WhatsApp's read receipt for them.
- The bridge's typing indicator (a read receipt with `typing_indicator`) shows "typing…" until the
  business's next message, or for WhatsApp's 25 seconds.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

STATUSES = ("sent", "delivered", "read")
TYPING_SECONDS = 25  # WhatsApp shows the indicator until the reply, or for 25 s
MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")


class PhoneTimeline:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: list[dict] = []
        self._by_wamid: dict[str, dict] = {}
        self._sent_seen = 0
        self._typing_until = 0.0

    def add_own(self, item: dict) -> None:
        with self._lock:
            self._items.append(item)
            self._by_wamid[item["id"]] = item

    def mark_delivered(self, wamid: str) -> None:
        """The bridge took the customer's message (the webhook was answered): two grey ticks."""
        with self._lock:
            item = self._by_wamid.get(wamid)
            if item is not None and item.get("status") == "sent":
                item["status"] = "delivered"

    def sync(self, sent: list[dict], customer: str) -> None:
        """Takes the messages the twin's WhatsApp has been asked to send since the last sync."""
        with self._lock:
            for record in sent[self._sent_seen:]:
                self._take(record["message"], customer, record.get("messageId", ""))
            self._sent_seen = len(sent)

    def items(self) -> list[dict]:
        with self._lock:
            return [dict(item) for item in self._items]

    def typing(self) -> bool:
        with self._lock:
            return self._clock() < self._typing_until

    def business_message(self, wamid: str) -> dict | None:
        with self._lock:
            item = self._by_wamid.get(wamid)
            return dict(item) if item is not None and item["from"] == "business" else None

    def advance(self, wamid: str, status: str) -> tuple[list[str], str]:
        """Moves the business message's status forward to `status`; returns the statuses passed
        on the way, in order (empty when it is there already), and its callback data. WhatsApp
        reports each step, so a message read at once is still sent and delivered first."""
        with self._lock:
            item = self._by_wamid.get(wamid)
            if item is None or item["from"] != "business":
                raise KeyError(wamid)
            reached = STATUSES.index(item["status"]) if item["status"] in STATUSES else -1
            steps = list(STATUSES[reached + 1:STATUSES.index(status) + 1])
            if steps:
                item["status"] = status
            return steps, item.get("callback_data", "")

    def _take(self, message: dict, customer: str, message_id: str) -> None:
        if message.get("status") == "read":
            target = self._by_wamid.get(message.get("message_id", ""))
            if target is not None:
                target["status"] = "read"
            if message.get("typing_indicator"):
                self._typing_until = self._clock() + TYPING_SECONDS
            return
        if message.get("to") != customer:
            return
        kind = message.get("type", "text")
        if kind == "reaction":
            target = self._by_wamid.get(message["reaction"].get("message_id", ""))
            if target is not None:
                target["reaction"] = message["reaction"].get("emoji", "")
            return
        # The reply ends the indicator, as on WhatsApp.
        self._typing_until = 0.0
        item = {"id": message_id, "from": "business", "kind": kind, "time": self._clock(),
                "status": "", "callback_data": message.get("biz_opaque_callback_data", "")}
        content = message.get(kind) or {}
        if kind == "text":
            item["text"] = content.get("body", "")
        elif kind in MEDIA_KINDS:
            item |= {"media_id": content.get("id", ""), "filename": content.get("filename", ""),
                     "text": content.get("caption", "")}
        elif kind == "interactive":
            item |= {"text": (content.get("body") or {}).get("text", ""), "interactive": content}
        else:
            item["text"] = json.dumps(content, ensure_ascii=False)
        self._items.append(item)
        self._by_wamid[message_id] = item
