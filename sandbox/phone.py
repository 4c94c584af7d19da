"""What the sandbox's phone shows: the customer's own messages and what the business sent them,
read from the twin's SendWhatsAppMessage log.

- The business's messages carry WhatsApp's status for them (`sent`, `delivered`, `read`), which
  the page moves forward as the customer's phone would (`advance`), and the
  `biz_opaque_callback_data` they were sent with, which every status webhook echoes (none when
  the twin's strict mode keeps it out). They are known by Meta's id for them (the record's
  `wamid`), which statuses and the customer's replies name.
- The customer's messages turn `read` when the bridge sends WhatsApp's read receipt for them.
- The bridge's typing indicator (a read receipt with `typing_indicator`) shows "typing…" until the
  business's next message, or for WhatsApp's 25 seconds.
- A template message shows as WhatsApp draws it: the approved definition's header, body and footer
  with the message's parameters in place (definitions from the twin, looked up only when one
  arrives).
- A message the twin accepted but Meta would not deliver (its record carries `failure`, e.g. 131047
  outside the 24-hour window) never reaches the phone; `sync` hands it back, for the failed status
  webhook Meta sends instead.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence

from emulator.templates import PLACEHOLDER

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

    def sync(self, sent: list[dict], customer: str, templates: Callable[[], Sequence[dict]]) -> list[dict]:
        """Takes the messages the twin's WhatsApp has been asked to send since the last sync;
        returns the records of those it refused to deliver (each once). `templates` gives the
        template definitions, asked for only when a template message arrives."""
        refused = []
        with self._lock:
            definitions: Sequence[dict] | None = None
            for record in sent[self._sent_seen:]:
                if record.get("failure"):
                    refused.append(record)
                    continue
                message = record["message"]
                if message.get("type") == "template" and definitions is None:
                    definitions = templates()
                # Meta's id for the message: what its statuses and the customer's replies name.
                self._take(message, customer, record.get("wamid") or record.get("messageId", ""),
                           definitions or (), record.get("callbackDataEchoed", True))
            self._sent_seen = len(sent)
        return refused

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

    def _take(self, message: dict, customer: str, message_id: str, definitions: Sequence[dict],
              echoes_callback_data: bool = True) -> None:
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
                "status": "",
                "callback_data": message.get("biz_opaque_callback_data", "") if echoes_callback_data else ""}
        content = message.get(kind) or {}
        if kind == "text":
            item["text"] = content.get("body", "")
        elif kind in MEDIA_KINDS:
            item |= {"media_id": content.get("id", ""), "filename": content.get("filename", ""),
                     "text": content.get("caption", "")}
        elif kind == "interactive":
            item |= {"text": (content.get("body") or {}).get("text", ""), "interactive": content}
        elif kind == "template":
            shown = render_template(content, definitions)
            item |= {"text": shown["body"], "template": shown}
        else:
            item["text"] = json.dumps(content, ensure_ascii=False)
        self._items.append(item)
        self._by_wamid[message_id] = item


def render_template(template: dict, definitions: Sequence[dict]) -> dict:
    """What WhatsApp shows for a template message (`template`: the `template` object of the send):
    its name and language, and the approved definition's header, body and footer texts with the
    message's parameters in place. Without a definition, the body says which template it was."""
    name = template.get("name", "")
    language = (template.get("language") or {}).get("code", "")
    definition = next((d for d in definitions
                       if d.get("name") == name and d.get("language") == language), None)
    shown = {"name": name, "language": language, "header": "", "body": "", "footer": ""}
    if definition is None:
        return shown | {"body": f"[template {name} ({language})]"}
    parameters = {(component.get("type") or "").lower(): component.get("parameters") or []
                  for component in template.get("components") or []}
    for component in definition.get("components") or []:
        part = (component.get("type") or "").lower()
        if part in ("header", "body", "footer") and component.get("text"):
            shown[part] = _filled(component["text"], parameters.get(part, []))
    return shown


def _filled(text: str, parameters: list[dict]) -> str:
    """`text` with {{1}}… taken in order, or {{name}} by `parameter_name`; a placeholder the
    message does not fill stays as it is."""
    named = {p.get("parameter_name"): p.get("text", "") for p in parameters if p.get("parameter_name")}

    def value(match: re.Match) -> str:
        key = match[1]
        if key in named:
            return named[key]
        if key.isdigit() and 0 < int(key) <= len(parameters):
            return parameters[int(key) - 1].get("text", "")
        return match[0]

    return PLACEHOLDER.sub(value, text)
