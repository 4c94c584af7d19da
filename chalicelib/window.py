"""WhatsApp's 24-hour customer-service window, and what the agent reads about it: pure functions.

Meta delivers a free-form message only within 24 hours of the customer's last message to the
business number; after that only an approved template reaches the customer, and a free-form send
fails later with error 131047 ("Re-engagement message"). The bridge keeps when the customer last
wrote with the chat's session (sessions.Session.customer_wrote_at, from WhatsApp's timestamps),
so an agent's message outside the window costs no WhatsApp call and the agent knows at once.
"""
from __future__ import annotations

from datetime import datetime, timezone

from .compose import bridge_note
from .templates import USAGE

WINDOW_SECONDS = 24 * 3600


def closes_at(customer_wrote_at: int) -> int:
    return customer_wrote_at + WINDOW_SECONDS


def is_closed(customer_wrote_at: int, now: float) -> bool:
    """Closed once 24 hours have passed; a window nobody recorded (0) counts as open, and Meta's
    own 131047 is then the word."""
    return bool(customer_wrote_at) and now >= closes_at(customer_wrote_at)


def open_if_wrote_after(now: float) -> int:
    """The window is open when the customer wrote after this moment (the same rule as is_closed,
    for a database condition: `customer_wrote_at > open_if_wrote_after(now)`)."""
    return int(now) - WINDOW_SECONDS


def minutes_left(customer_wrote_at: int, now: float) -> int | None:
    """Whole minutes until the window closes (rounded up); None when it is not known."""
    if not customer_wrote_at:
        return None
    return max(0, -(-(closes_at(customer_wrote_at) - int(now)) // 60))


def should_warn(customer_wrote_at: int, warned_for: int, now: float, warning_minutes: int) -> bool:
    """Warn once per window (a newer customer message opens a new one), in its last minutes."""
    left = minutes_left(customer_wrote_at, now)
    return (warning_minutes > 0 and left is not None and 0 < left <= warning_minutes
            and warned_for != customer_wrote_at)


def closed_note(customer_wrote_at: int, templates_listing: str) -> str:
    """What the agent reads instead of the message going out: one short paragraph, and the
    approved templates to choose from ("" when none could be listed)."""
    note = bridge_note(f"⛔ Not sent: WhatsApp's 24-hour window with this customer closed at "
                       f"{_moment(closes_at(customer_wrote_at))}, 24 hours after their last message. "
                       f"Only an approved template can reach them now: {USAGE} (/templates lists them).")
    if templates_listing:
        return f"{note}\nApproved templates:\n{templates_listing}"
    return f"{note}\nNo approved template could be listed for this number."


def closed_reminder(customer_wrote_at: int) -> str:
    """For each further message while the window stays closed: the agent has the list already."""
    return bridge_note(f"⛔ Not sent: WhatsApp's 24-hour window with this customer closed at "
                       f"{_moment(closes_at(customer_wrote_at))}. Only a template reaches them: {USAGE}.")


def warning_note(customer_wrote_at: int, now: float) -> str:
    left = minutes_left(customer_wrote_at, now) or 0
    return bridge_note(f"⏳ WhatsApp's 24-hour window with this customer closes in {left} minute"
                       f"{'' if left == 1 else 's'}, at {_moment(closes_at(customer_wrote_at))}. After "
                       f"that only an approved template reaches them, unless they write again.")


def _moment(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M UTC on %d %b %Y")
