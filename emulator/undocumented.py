"""What AWS and Meta do that their documentation does not promise, each of which the twin can turn
off (its strict mode), so the bridge's fallbacks are tested against a production without them.

- `callback_data_echo`: a status webhook of a business message carries the
  `biz_opaque_callback_data` it was sent with. Meta documents the echo for its Cloud API webhooks;
  that End User Messaging Social passes the field on is not documented.
- `read_receipts_streamed`: Connect's contact streaming carries a participant's delivered and read
  receipts. The streaming documentation lists messages and events, not receipts.
- `message_id_is_wamid`: the `messageId` SendWhatsAppMessage returns is the WhatsApp message id
  (wamid) that the message's statuses, and a customer's reaction or quoted reply, name. The
  socialmessaging model says only "The unique identifier of the message".

All are on by default and after the twin's reset().
"""
from __future__ import annotations

import threading

BEHAVIOURS = ("callback_data_echo", "read_receipts_streamed", "message_id_is_wamid")


class Undocumented:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._on = dict.fromkeys(BEHAVIOURS, True)

    def set(self, **behaviours: bool) -> None:
        unknown = set(behaviours) - set(BEHAVIOURS)
        if unknown:
            raise TypeError(f"no undocumented behaviour {sorted(unknown)}; the twin knows {BEHAVIOURS}")
        with self._lock:
            self._on |= {name: bool(value) for name, value in behaviours.items()}

    def reset(self) -> None:
        self.set(**dict.fromkeys(BEHAVIOURS, True))

    def values(self) -> dict[str, bool]:
        with self._lock:
            return dict(self._on)

    def __getattr__(self, name: str) -> bool:
        if name in BEHAVIOURS:
            with self._lock:
                return self._on[name]
        raise AttributeError(name)
