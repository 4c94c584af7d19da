"""Runs one cell of the crash matrix: a flow killed right after one call, retried as Lambda
retries it, then judged from what both sides hold.

Lambda's retries, per kind of handler:
- a DynamoDB-stream batch is retried from its checkpoint: `same` (the same records), `newer` (the
  same plus a customer message that arrived meanwhile) or `bisect` (first half, then second half,
  as BisectBatchOnFunctionError does); a retry that reports batchItemFailures is retried from the
  first failed record on, MaximumRetryAttempts (10) times, and then the records go to the stream's
  on-failure queue: a cell whose records reach it fails (FAILURE QUEUE);
- an asynchronous invocation (SNS, EventBridge) is retried twice more, one and then two minutes
  later (`async`); the clock the product reads moves with them, so the last attempt comes after
  any 120 s lock the killed attempt left behind.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.conftest import (
    DEFAULT_SETTINGS, SESSIONS_TABLE, load_event, put_settings, text_from_customer, with_messages,
)
from tests.crash.clock import MovableClock
from tests.crash.flows import FLUSH, Flow
from tests.crash.killing import CallMeter, Killed, KillPoint

SAME, NEWER, BISECT, ASYNC = "same", "newer", "bisect", "async"
STREAM_KINDS = (SAME, NEWER, BISECT)
# The event source mapping's MaximumRetryAttempts (infra/resources.json): the first attempt and ten
# retries, then the on-failure queue.
STREAM_MAXIMUM_RETRY_ATTEMPTS = 10
# A stream retry comes after the killed invocation's timeout (flush_buffer's is 180 s).
STREAM_RETRY_SECONDS = 180
ASYNC_RETRY_DELAYS = (60, 120)
NEWER_TEXT = ("wamid.crash-newer", 1763999999, "One more thing")
SEND_WHATSAPP = ("socialmessaging", "SendWhatsAppMessage")

OK = "ok"
OK_WHATSAPP_TWICE = "ok (WhatsApp twice: unavoidable)"
PASSING = (OK, OK_WHATSAPP_TWICE)


@dataclass
class Outcome:
    label: str
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.label in PASSING


def retry_kinds(flow: Flow, records_or_event: Any) -> tuple[str, ...]:
    if flow.handler != FLUSH:
        return (ASYNC,)
    # One record cannot be bisected: Lambda retries it whole, which `same` already is.
    return STREAM_KINDS if len(records_or_event) > 1 else (SAME, NEWER)


class Explorer:
    """Drives flows through a conftest Bridge; `meter` sees the product's calls, `clock` is the
    one its runtimes read (both installed by the caller)."""

    def __init__(self, bridge: Any, meter: CallMeter, clock: MovableClock) -> None:
        self.bridge = bridge
        self.meter = meter
        self.clock = clock

    def record(self, flow: Flow) -> tuple[list[KillPoint], tuple[str, ...]]:
        """Runs the flow once, unkilled: its calls in order, and the retry kinds that apply."""
        payload = self._prepare(flow)
        self.meter.watch()
        try:
            self._invoke(flow, payload)
        finally:
            self.meter.stop()
        return list(self.meter.calls), retry_kinds(flow, payload)

    def run_undisturbed(self, flow: Flow) -> Outcome:
        """The flow with nothing killed: its expectations must hold before any cell can mean much."""
        payload = self._prepare(flow)
        whatsapp_before = len(self.bridge.twin.sent_whatsapp)
        problems: list[str] = []
        self._invoke(flow, payload)
        if flow.later:
            flow.later(self.bridge, lambda records: self._stream_until_done(records, problems))
        return judge(self.bridge, flow, SAME, None, whatsapp_before, problems)

    def run_cell(self, flow: Flow, kill_at: KillPoint, kind: str) -> Outcome:
        payload = self._prepare(flow)
        whatsapp_before = len(self.bridge.twin.sent_whatsapp)
        self.meter.watch(kill_at)
        try:
            self._invoke(flow, payload)
        except Killed:
            pass
        finally:
            self.meter.stop()
        killed_after = self.meter.killed_after
        if killed_after is None:
            return Outcome("NOT REACHED", [f"the run never made {kill_at.label}: "
                                           f"{[c.label for c in self.meter.calls]}"])
        problems: list[str] = []
        raised = self._retry(flow, payload, kind)
        if raised:
            problems.append(raised)
        if flow.later:
            flow.later(self.bridge, lambda records: self._stream_until_done(records, problems))
        return judge(self.bridge, flow, kind, killed_after, whatsapp_before, problems)

    # --- the flow ---

    def _prepare(self, flow: Flow) -> Any:
        if flow.settings:
            put_settings({**DEFAULT_SETTINGS, **flow.settings})
        return flow.prepare(self.bridge)

    def _invoke(self, flow: Flow, payload: Any) -> Any:
        if flow.handler == FLUSH:
            return self.bridge.flush(payload)
        return self.bridge.invoke(flow.handler, payload)

    # --- Lambda's retries ---

    def _retry(self, flow: Flow, payload: Any, kind: str) -> str | None:
        """None once the retries succeeded; otherwise what the last one raised."""
        if kind == ASYNC:
            return self._async_retries(flow, payload)
        if kind == NEWER:
            self.bridge.whatsapp(with_messages(load_event("eum-text"), [text_from_customer(*NEWER_TEXT)]))
            batches = [payload + self.bridge.stream_records()]
        elif kind == BISECT:
            half = len(payload) // 2
            batches = [payload[:half], payload[half:]]
        else:
            batches = [payload]
        problems: list[str] = []
        for batch in batches:
            self._stream_until_done(batch, problems)
        return problems[0] if problems else None

    def _stream_until_done(self, records: list, problems: list[str]) -> None:
        """Lambda's stream poller: retry from the first failed record until the batch succeeds or
        its retries run out, when what is left goes to the on-failure queue."""
        attempts = 1 + STREAM_MAXIMUM_RETRY_ATTEMPTS
        for _ in range(attempts):
            if not records:
                return
            self.clock.advance(STREAM_RETRY_SECONDS)
            try:
                response = self.bridge.flush(records)
            except Exception as error:  # the whole batch is retried
                last = f"RAISED {type(error).__name__}"
                continue
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            if not failed:
                return
            first = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed)
            records = records[first:]
            last = "RAISED batchItemFailures"
        problems.append(f"FAILURE QUEUE after {attempts} attempts: {len(records)} records ({last})")

    def _async_retries(self, flow: Flow, payload: Any) -> str | None:
        error: Exception | None = None
        for delay in ASYNC_RETRY_DELAYS:
            self.clock.advance(delay)
            try:
                self._invoke(flow, payload)
                return None
            except Exception as raised:  # Lambda retries, then gives the event to the failure queue
                error = raised
        return f"RAISED {type(error).__name__} on every retry"


# --- judging ---

def chat_units(bridge) -> list[str]:
    """What the agent sees from the customer's side: every chat of the conversation, in the order
    they were opened; texts by line, attachments by name. A persistent chat's copies of past
    chats' items (RelatedContactId) are counted where they were said."""
    units: list[str] = []
    for contact in bridge.twin.contacts.values():
        for item in contact["transcript"]:
            if item.get("ParticipantRole") != "CUSTOMER" or item.get("RelatedContactId"):
                continue
            if item.get("Type") == "MESSAGE":
                units.extend(line for line in item.get("Content", "").split("\n") if line)
            elif item.get("Type") == "ATTACHMENT":
                units.extend(f"📎 {a.get('AttachmentName')}" for a in item.get("Attachments", []))
    return units


def whatsapp_units(sent: list[dict]) -> list[str]:
    """What the customer received: texts by paragraph, media by kind and file name; read receipts,
    reactions and typing indicators are not messages."""
    units: list[str] = []
    for record in sent:
        message = record["message"]
        kind = message.get("type")
        # A free-form send outside the 24-hour window never reached the customer (Meta's 131047).
        if message.get("status") == "read" or kind in (None, "reaction") or "failure" in record:
            continue
        if kind == "text":
            units.extend(p.strip() for p in message["text"]["body"].split("\n\n"))
        elif kind == "template":
            units.append(f"template: {message['template']['name']}")
        elif kind == "interactive":
            units.append(f"interactive: {message['interactive']['body']['text']}")
        else:
            media = message.get(kind, {})
            units.append(f"{kind}: {media.get('filename', media.get('id'))}")
    return units


def receipt_units(bridge) -> list[str]:
    """What the agent sees of WhatsApp's statuses: `Delivered: <text>` and `Read: <text>` for each
    of the agent's messages the customer's side marked (a receipt marks a message once)."""
    units: list[str] = []
    for contact in bridge.twin.contacts.values():
        for item in contact["transcript"]:
            if item.get("RelatedContactId"):  # a past chat's, counted where it was said
                continue
            for receipt in (item.get("MessageMetadata") or {}).get("Receipts", []):
                if receipt["RecipientParticipantId"] != contact["participant_id"]:
                    continue
                units += [f"{kind}: {item.get('Content', '')}" for kind in ("Delivered", "Read")
                          if receipt.get(f"{kind}Timestamp")]
    return units


def open_contacts_without_session(bridge) -> list[str]:
    """Chats Connect still holds open that no open session points at: the agent's replies in them
    would be dropped."""
    items = boto3.resource("dynamodb").Table(SESSIONS_TABLE).scan(ConsistentRead=True)["Items"]
    open_sessions = {i["contactId"] for i in items if i.get("sessionStatus", "open") == "open"}
    return [contact_id for contact_id, contact in bridge.twin.contacts.items()
            if contact["status"] != "ENDED" and contact_id not in open_sessions]


def _compare(side: str, expected: tuple[str, ...], observed: list[str], twice_allowed: bool,
             unordered: tuple[str, ...] = ()) -> tuple[set[str], list[str]]:
    """Problems (LOST, DOUBLED, EXTRA, ORDER) of one side, and whether it got the unavoidable
    double. `unordered` units must arrive once too, wherever they fall among the others."""
    counts = Counter(observed)
    labels: set[str] = set()
    details: list[str] = []
    for unit in expected + unordered:
        if counts[unit] == 0:
            labels.add("LOST")
            details.append(f"{side}: lost {unit[:60]!r}")
        elif counts[unit] == 2 and twice_allowed:
            labels.add("TWICE")
        elif counts[unit] > 1:
            labels.add("DOUBLED")
            details.append(f"{side}: {counts[unit]}× {unit[:60]!r}")
    extra = [u for u in counts if u not in expected + unordered]
    if extra:
        labels.add("EXTRA")
        details.extend(f"{side}: unexpected {u[:80]!r}" for u in extra)
    firsts = [u for i, u in enumerate(observed) if u in expected and u not in observed[:i]]
    if not labels - {"TWICE"} and firsts != list(expected):
        labels.add("ORDER")
        details.append(f"{side}: order {firsts}")
    return labels, details


def judge(bridge, flow: Flow, kind: str, killed_after: KillPoint | None, whatsapp_before: int,
          problems: list[str]) -> Outcome:
    # A message that arrived during the retries may rightly come before the rest of the flow (a
    # text written after a voice note goes ahead of its transcript).
    newer = (NEWER_TEXT[2],) if kind == NEWER else ()
    chat_labels, details = _compare("chat", tuple(map(flow.same_unit, flow.chat)),
                                    [flow.same_unit(u) for u in chat_units(bridge)],
                                    twice_allowed=False, unordered=newer)
    after_send = killed_after is not None and (killed_after.service, killed_after.operation) == SEND_WHATSAPP
    sent = whatsapp_units(bridge.twin.sent_whatsapp[whatsapp_before:])
    whatsapp_labels, whatsapp_details = _compare("WhatsApp", flow.whatsapp, sent, after_send)
    details += whatsapp_details
    labels = [p.split(" after ")[0].split(" on ")[0] for p in problems]
    details += problems
    receipts = receipt_units(bridge)
    if sorted(receipts) != sorted(flow.receipts):
        labels.append("RECEIPT")
        details.append(f"the agent's receipts: {receipts}, not {list(flow.receipts)}")
    orphans = open_contacts_without_session(bridge)
    if orphans:
        labels.append("ORPHAN")
        details.append(f"open chats without a session: {orphans}")
    for label in ("LOST", "DOUBLED", "EXTRA", "ORDER"):
        if label in chat_labels | whatsapp_labels:
            labels.append(label)
    if labels:
        return Outcome(", ".join(dict.fromkeys(labels)), details)
    return Outcome(OK_WHATSAPP_TWICE if "TWICE" in whatsapp_labels else OK, details)
