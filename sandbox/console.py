"""What the agent console shows about WhatsApp's 24-hour window and templates: pure functions.

- The window of a chat, from its session's `customerWroteAt` (the WhatsApp timestamp of the
  customer's newest message, which the bridge keeps) against the sandbox's clock. A session that
  has none (from before the bridge kept it) counts as open, as the bridge counts it.
- The template picker's choices: the approved templates of the business number's WABA, each with
  the body's placeholders (one input each), and the `/template` command the picker sends as the
  agent's message.
- The contact centre's capacity (chats in use against the concurrent chats limit) and the waiting
  room's rows, from a waiting conversation's item (chalicelib/waiting.py writes its wait).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from chalicelib import failures, templates, window
from chalicelib.compose import BRIDGE_NOTE_PREFIX
from chalicelib.logs import mask_identifier

WARNING_SECONDS = 3600  # the console warns in the window's last hour
WAIT_REASONS = {failures.CAPACITY: "capacity: every chat in use", failures.THROTTLED: "throttled",
                failures.FAILING: "failing: Connect answers errors"}


def window_state(customer_wrote_at: float, now: float) -> dict:
    """`state` is "open", "closing" (its last hour) or "closed"; `text` is what the console says."""
    if not customer_wrote_at:
        return {"state": "open", "closesAt": None, "text": "open"}
    # The bridge's own rule, so the console says what the bridge will do with the agent's message.
    closes_at = window.closes_at(int(customer_wrote_at))
    if window.is_closed(int(customer_wrote_at), now):
        return {"state": "closed", "closesAt": closes_at,
                "text": f"closed {day_and_time(closes_at)}: only templates reach the customer"}
    return {"state": "closing" if closes_at - now <= WARNING_SECONDS else "open", "closesAt": closes_at,
            "text": f"open, closes {day_and_time(closes_at)}"}


def day_and_time(epoch: float) -> str:
    """"4 Dec 05:58 UTC": the day too, since a window spans two and "+24 h" moves a day at a time."""
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return f"{moment.day} {moment:%b %H:%M} UTC"


def time_of_day(epoch: float) -> str:
    """"05:58:07": an AWS call's time in the calls per hop, in UTC as the page's clock."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M:%S")


def moment_text(epoch: float, seconds: bool = False) -> str:
    """The sandbox's time on the page: the day too, since "+24 h" moves it a day at a time."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime(
        "%a %d %b %Y, %H:%M:%S UTC" if seconds else "%a %d %b %Y, %H:%M UTC")


def duration_text(seconds: float) -> str:
    """A short span: "40 s", "3 min 5 s", "2 h 10 min"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def capacity_state(active: int, limit: int | None) -> dict:
    """Chats in use (not ENDED) against the concurrent chats limit (None: no limit)."""
    if limit is None:
        text = f"{active} {'chat' if active == 1 else 'chats'} in use (no limit)"
    else:
        text = f"{active} of {limit} {'chat' if limit == 1 else 'chats'} in use"
    return {"active": active, "limit": limit, "full": limit is not None and active >= limit, "text": text}


def waiting_row(conversation_id: str, item: dict, customer: str, now: float) -> dict:
    """One waiting conversation as the waiting room lists it. `item`: its conversation item's
    wait attributes (plain values); `customer`: the name the console will show for its chat."""
    since = int(item.get("waitingSince", 0))
    next_at = int(item.get("nextAttemptAt", 0))
    reason = str(item.get("waitReason", ""))
    told_at = item.get("busyToldAt")
    customer_id = conversation_id.split("#", 1)[-1]
    return {
        "conversationId": conversation_id, "customer": customer, "number": mask_identifier(customer_id),
        "reason": reason, "reasonText": WAIT_REASONS.get(reason, reason),
        "since": since, "sinceText": moment_text(since, seconds=True),
        "waitedText": duration_text(now - since),
        "attempts": int(item.get("waitAttempts", 0)),
        "nextAttemptAt": next_at, "nextAttemptText": moment_text(next_at, seconds=True),
        "due": next_at <= now, "dueText": "due" if next_at <= now else f"in {duration_text(next_at - now)}",
        "busyToldAt": int(told_at) if told_at is not None else None,
        "busyText": f"sent {moment_text(int(told_at), seconds=True)}" if told_at is not None else "not sent",
    }


def bridge_note_text(item: dict) -> str | None:
    """A note of the bridge's own (a customer participant's text message under the bridge's
    prefix), without the prefix; None for anything else."""
    content = item.get("Content")
    if (item.get("ParticipantRole") != "CUSTOMER" or item.get("Type") != "MESSAGE"
            or not isinstance(content, str) or not content.startswith(BRIDGE_NOTE_PREFIX)):
        return None
    return content.removeprefix(BRIDGE_NOTE_PREFIX)


def template_choices(definitions: Sequence[dict]) -> list[dict]:
    """The approved templates (Meta's template objects), sorted by name and language, with the
    body's placeholders in order of first appearance ("1", "2" or "first_name"), read as the
    bridge's /template reads them."""
    choices = []
    for definition in definitions:
        if definition.get("status") != "APPROVED":
            continue
        choices.append({"name": definition["name"], "language": definition["language"],
                        "category": definition.get("category", ""),
                        "parameters": list(templates.parse_template(definition).body_parameters)})
    return sorted(choices, key=lambda choice: (choice["name"], choice["language"]))


def template_command(name: str, language: str, parameters: Sequence[str]) -> str:
    """`/template NAME LANGUAGE "one" "two"`: every parameter in double quotes (the bridge splits
    the command as a shell does), a quote or backslash inside one escaped."""
    quoted = ['"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in parameters]
    return " ".join(["/template", name, language, *quoted])
