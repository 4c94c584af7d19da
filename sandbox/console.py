"""What the agent console shows about WhatsApp's 24-hour window and templates: pure functions.

- The window of a chat, from its session's `customerWroteAt` (the WhatsApp timestamp of the
  customer's newest message, which the bridge keeps) against the sandbox's clock. A session that
  has none (from before the bridge kept it) counts as open, as the bridge counts it.
- The template picker's choices: the approved templates of the business number's WABA, each with
  the body's placeholders (one input each), and the `/template` command the picker sends as the
  agent's message.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from chalicelib import templates, window

WARNING_SECONDS = 3600  # the console warns in the window's last hour


def window_state(customer_wrote_at: float, now: float) -> dict:
    """`state` is "open", "closing" (its last hour) or "closed"; `text` is what the console says."""
    if not customer_wrote_at:
        return {"state": "open", "closesAt": None, "text": "open"}
    # The bridge's own rule, so the console says what the bridge will do with the agent's message.
    closes_at = window.closes_at(int(customer_wrote_at))
    if window.is_closed(int(customer_wrote_at), now):
        return {"state": "closed", "closesAt": closes_at,
                "text": f"closed at {clock_text(closes_at)}: only templates reach the customer"}
    return {"state": "closing" if closes_at - now <= WARNING_SECONDS else "open", "closesAt": closes_at,
            "text": f"open, closes at {clock_text(closes_at)}"}


def clock_text(epoch: float) -> str:
    """HH:MM in UTC, as the bridge's notes to the agent give times."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M UTC")


def moment_text(epoch: float) -> str:
    """The sandbox's time on the page: the day too, since "+24 h" moves it a day at a time."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%a %d %b %Y, %H:%M UTC")


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
