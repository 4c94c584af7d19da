"""The reference events of events/, read only from inside the repository, and copies varied from them.

The tests and the benchmark drive the handlers with these events. A fresh clone has nothing beside
the repository, so `repository_file` refuses any path that resolves outside it (`..`, an absolute
path, a symlink leading out) rather than read a file only one machine has.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DIR = ROOT / "events"
# The customer of the reference End User Messaging Social events (events/README.md).
REFERENCE_CUSTOMER_WA_ID = "15550100001"


class OutsideRepositoryError(ValueError):
    """A file was asked for that is not part of the repository."""


def repository_file(relative: str | Path) -> Path:
    """The path of a file of this repository; `..`, absolute paths and symlinks that lead
    outside it are refused."""
    path = (ROOT / relative).resolve()
    if not path.is_relative_to(ROOT):
        raise OutsideRepositoryError(f"{relative} resolves to {path}, outside the repository {ROOT}")
    return path


def load_event(name: str) -> dict:
    """A reference event of events/ (`eum-text` or `eum-text.json`); a missing one raises."""
    file_name = name if name.endswith(".json") else f"{name}.json"
    return json.loads(repository_file(Path("events") / file_name).read_text(encoding="utf-8"))


def sns_message(event: dict) -> dict:
    """The message of a Lambda SNS event's first record, parsed."""
    return json.loads(event["Records"][0]["Sns"]["Message"])


def with_messages(event: dict, messages: list[dict]) -> dict:
    """A copy of an End User Messaging Social event whose webhook carries the given messages."""
    return with_webhook_value(event, messages=messages)


def status_of_sent(sent: dict, status: str) -> dict:
    """End User Messaging Social's status webhook (`sent`, `delivered`, `read`) for a message the
    twin recorded as sent, carrying its `biz_opaque_callback_data` back as Meta does."""
    event = load_event("eum-status-sent-delivered-read")
    entry = json.loads(sns_message(event)["whatsAppWebhookEntry"])
    template = entry["changes"][0]["value"]["statuses"][0]
    item = {**template, "id": sent["messageId"], "status": status}
    if "biz_opaque_callback_data" in sent["message"]:
        item["biz_opaque_callback_data"] = sent["message"]["biz_opaque_callback_data"]
    return with_webhook_value(event, statuses=[item])


def with_webhook_value(event: dict, **fields) -> dict:
    """A copy of an End User Messaging Social event whose webhook's value has these fields set."""
    event = copy.deepcopy(event)
    sns = event["Records"][0]["Sns"]
    envelope = json.loads(sns["Message"])
    entry = json.loads(envelope["whatsAppWebhookEntry"])
    entry["changes"][0]["value"].update(fields)
    envelope["whatsAppWebhookEntry"] = json.dumps(entry)
    sns["Message"] = json.dumps(envelope)
    return event


def text_from_customer(message_id: str, timestamp: int, body: str) -> dict:
    """A WhatsApp text message from the reference events' customer."""
    return {"from": REFERENCE_CUSTOMER_WA_ID, "id": message_id, "timestamp": str(timestamp),
            "type": "text", "text": {"body": body}}
