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
# The newest WhatsApp timestamp of the reference conversation (eum-text-burst.json's last text).
REFERENCE_CONVERSATION_ENDS_AT = 1762956833
# Where the tests' twin clock starts: a few minutes after the reference conversation. The
# reference events carry WhatsApp timestamps of November 2025 and the 24-hour customer service
# window is measured from them, so on the wall clock every reference customer would be long out
# of the window and no free-form reply of the bridge would reach them.
REFERENCE_CLOCK_START = REFERENCE_CONVERSATION_ENDS_AT + 5 * 60


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
    """End User Messaging Social's status webhook for a message the twin recorded as sent,
    carrying its `biz_opaque_callback_data` back as Meta does: `sent`, `delivered` or `read` for
    a message that reached the phone; `failed`, with the errors Meta gives (eum-status-failed.json),
    for one the twin refused (its record's `failure`). Any other pairing is not something Meta
    sends, and raises ValueError. The status names the message by the record's `wamid`, and
    leaves the callback data out when the record says it is not echoed (the twin's strict mode,
    emulator/undocumented.py)."""
    failure = sent.get("failure")
    if (status == "failed") != (failure is not None):
        raise ValueError(f"Meta sends no {status!r} status for a message that "
                         + ("failed" if failure else "reached the phone"))
    event = load_event("eum-status-failed" if failure else "eum-status-sent-delivered-read")
    # One status, one SNS message (the reference event's others are about another message).
    event["Records"] = event["Records"][:1]
    entry = json.loads(sns_message(event)["whatsAppWebhookEntry"])
    template = entry["changes"][0]["value"]["statuses"][0]
    item = {**template, "id": sent.get("wamid", sent["messageId"]), "status": status}
    if failure:
        item["errors"] = [failure]
    if "to" in sent["message"]:
        item["recipient_id"] = sent["message"]["to"]
    elif "recipient" in sent["message"]:
        # Sent to a business-scoped user id: the status names it, and no number (Meta, *Business-
        # scoped user IDs*: recipient_user_id; recipient_id only while the number is shared).
        item.pop("recipient_id", None)
        item["recipient_user_id"] = sent["message"]["recipient"]
    if "biz_opaque_callback_data" in sent["message"] and sent.get("callbackDataEchoed", True):
        item["biz_opaque_callback_data"] = sent["message"]["biz_opaque_callback_data"]
    return with_webhook_value(event, statuses=[item])


def customer_messages(event: dict) -> list[tuple[str, str, int]]:
    """(business number ARN, customer, WhatsApp timestamp) of each customer message in a Lambda
    SNS event from End User Messaging Social, the customer named by wa_id (`from`) or, when
    WhatsApp hides their number, by business-scoped user id (`from_user_id`); what does not parse
    as one is skipped."""
    return [(origination, customer, timestamp)
            for origination, customer, timestamp, _ in customer_writes(event)]


def customer_writes(event: dict) -> list[tuple[str, str, int, str | None]]:
    """customer_messages, each with the business-scoped user id the message also names when it
    names the number too (`from` and `from_user_id`): the same customer by either id."""
    found = []
    for record in event.get("Records", []) if isinstance(event, dict) else []:
        try:
            envelope = json.loads(record["Sns"]["Message"])
            origination = envelope["context"]["MetaPhoneNumberIds"][0]["arn"]
            if not isinstance(origination, str):
                continue
            entry = json.loads(envelope["whatsAppWebhookEntry"])
            messages = [m for change in entry["changes"] for m in change["value"].get("messages", [])]
            for m in messages:
                number, user_id = m.get("from"), m.get("from_user_id")
                number = number if isinstance(number, str) and number else None
                user_id = user_id if isinstance(user_id, str) and user_id else None
                if (number or user_id) and str(m.get("timestamp", "")).isdigit():
                    found.append((origination, number or user_id, int(m["timestamp"]),
                                  user_id if number else None))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError):
            continue
    return found


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
