"""What the bridge relies on that AWS and Meta do not document, and which way production goes.

Each behaviour below has a fallback that keeps its feature working without it (docs/reliability.md,
"What the bridge assumes beyond the documentation"); the probes only watch. Every path that can
tell whether a behaviour holds says what it saw, and a container reports a behaviour once: a
`probe_result` line the first time it learns which way the behaviour goes, and again only if that
changes. Nothing here makes an AWS call.

- `callback_data_echoed`: statuses of an agent's message carry the `biz_opaque_callback_data` it
  was sent with, through End User Messaging Social (agent_receipts.py).
- `read_receipts_streamed`: Connect's contact streaming carries the agent's read receipts
  (ticks_and_typing.py).
- `message_id_is_wamid`: the `messageId` SendWhatsAppMessage returns is the WhatsApp message id
  that statuses, reactions and quoted replies name (agent_receipts.py).
"""
from __future__ import annotations

import threading

from . import logs

CALLBACK_DATA_ECHOED = "callback_data_echoed"
READ_RECEIPTS_STREAMED = "read_receipts_streamed"
MESSAGE_ID_IS_WAMID = "message_id_is_wamid"

# What the bridge does when the behaviour does not hold, for the report line.
FALLBACKS = {
    CALLBACK_DATA_ECHOED: "statuses are matched by their message id to what the chat sent",
    READ_RECEIPTS_STREAMED: "blue ticks come when the agent types or replies",
    MESSAGE_ID_IS_WAMID: "the callback data names the sent message; its snippet is kept under the "
                         "id statuses use",
}


class Probes:
    """One container's knowledge of the behaviours, from what its invocations saw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: dict[str, bool] = {}

    def observe(self, behaviour: str, holds: bool, seen: str, *, conclusive: bool = True,
                **fields: object) -> None:
        """`seen` says what showed it. An inconclusive sighting (one that timing could explain)
        is reported only while the container knows nothing of the behaviour yet, and never
        overturns what a conclusive one showed."""
        with self._lock:
            known = self._holds.get(behaviour)
            if known == holds or (not conclusive and known is not None):
                return
            self._holds[behaviour] = holds
        report(behaviour, holds, seen, **fields)

    def holds(self, behaviour: str) -> bool | None:
        """What this container has seen of the behaviour; None before anything showed it."""
        with self._lock:
            return self._holds.get(behaviour)

    def clear(self) -> None:
        with self._lock:
            self._holds.clear()


def report(behaviour: str, holds: bool, seen: str, **fields: object) -> None:
    """The one place a probe's finding leaves the container: the log line now; the CloudWatch
    metric (EMF, issue 21) joins it here."""
    if holds:
        logs.info("probe_result", behaviour=behaviour, holds=True, seen=seen, **fields)
    else:
        logs.warning("probe_result", behaviour=behaviour, holds=False, seen=seen,
                     fallback=FALLBACKS[behaviour], **fields)
