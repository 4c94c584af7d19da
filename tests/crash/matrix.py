"""The crash matrix: every flow, killed right after each of its calls, under each kind of retry.

`python -m tests.crash.matrix --write` runs it on a twin of its own and writes docs/reliability.md
(without --write, the page goes to stdout); the test suite runs the same cells one by one
(tests/test_crash_matrix.py).
"""
from __future__ import annotations

import sys
from collections import Counter
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from typing import Callable, Iterator

from tests.crash.clock import MovableClock
from tests.crash.explorer import ASYNC, BISECT, NEWER, SAME, Explorer, Outcome
from tests.crash.flows import FLOWS, FLOWS_BY_NAME, Flow
from tests.crash.killing import CallMeter, KillPoint

KIND_ORDER = (SAME, NEWER, BISECT, ASYNC)


@dataclass(frozen=True)
class Cell:
    flow: Flow
    kill_at: KillPoint
    kind: str

    @property
    def id(self) -> str:
        return f"{self.flow.name}-after-{self.kill_at.label}-{self.kind}"


@contextmanager
def explorer_on(bridge) -> Iterator[Explorer]:
    """An Explorer whose meter and clock are installed for as long as it is used."""
    import app as app_module

    meter = CallMeter().install()
    clock = MovableClock()
    undo_clock = clock.install(app_module)
    try:
        yield Explorer(bridge, meter, clock)
    finally:
        undo_clock()
        meter.uninstall()


def cells_of(fresh_bridge: Callable) -> list[Cell]:
    """Each flow run once to list its calls; a cell per call and kind of retry."""
    cells = []
    for flow in FLOWS:
        with explorer_on(fresh_bridge()) as explorer:
            calls, kinds = explorer.record(flow)
        cells += [Cell(flow, point, kind) for point in calls for kind in kinds]
    return cells


def render(results: list[tuple[Cell, Outcome]]) -> str:
    """A count of the outcomes, then a table per flow: one row per kill point, one column per
    kind of retry."""
    counts = Counter(outcome.label for _, outcome in results)
    lines = [f"{len(results)} cells: " + ", ".join(f"{n} {label}" for label, n in counts.most_common())]
    for flow_name in dict.fromkeys(cell.flow.name for cell, _ in results):
        rows = [(cell, outcome) for cell, outcome in results if cell.flow.name == flow_name]
        kinds = [k for k in KIND_ORDER if any(cell.kind == k for cell, _ in rows)]
        flow = FLOWS_BY_NAME[flow_name]
        lines += ["", f"### {flow_name} ({flow.handler})", "",
                  "| killed right after | " + " | ".join(kinds) + " |",
                  "|---|" + "---|" * len(kinds)]
        for point in dict.fromkeys(cell.kill_at for cell, _ in rows):
            by_kind = {cell.kind: outcome.label for cell, outcome in rows if cell.kill_at == point}
            lines.append(f"| {point.label} | " + " | ".join(by_kind.get(k, "") for k in kinds) + " |")
    return "\n".join(lines) + "\n"


PAGE_HEAD = """\
# Reliability: what survives a function that dies

Lambda can end a function between any two AWS calls (a timeout, running out of memory, a host
failure) and then retries it: a DynamoDB-stream batch from its checkpoint, an asynchronous (SNS,
EventBridge) invocation twice more, about one and then two minutes later.

## What the bridge assumes beyond the documentation

Where the bridge relies on something AWS or Meta do not document, it keeps a fallback that works
without it, and a probe that says which one production has. The first time a container (a warm
Lambda) sees which way a behaviour goes, and again only if that changes, it logs one
`probe_result` line: `behaviour`, `holds`, `seen` (what showed it) and, at warning level when the
behaviour does not hold, the `fallback` in use (`chalicelib/probes.py`, where the CloudWatch
metric will join the line). The twin can take each behaviour away (`Twin.set_undocumented(...)`,
`POST /_emulator/undocumented`, `python -m emulator --strict` for all three), and the tests run
the flows that depend on one both ways (`tests/test_reading.py`, `tests/emulator/test_undocumented.py`).

| behaviour (`probe_result`) | what relies on it | without it | what the probe notes |
|---|---|---|---|
| `callback_data_echoed`: a status of an agent's message carries the `biz_opaque_callback_data` it was sent with. Meta documents the echo; that End User Messaging Social passes the field on is not documented. | The agent's Delivered and Read: the callback data names the chat and the Connect message a status becomes a receipt for. | The write that completes a sent message (the one write after the send, as before) also maps each WhatsApp id it became to its Connect message on the session (`sentMessages`, the last 20, like `sentSnippets`). A status without callback data is looked up by its id in the customer's open chat: the conversation item names the chat (`GetItem`), its session holds the map (`GetItem`), then `SendEvent` (a status naming the number alone, for a chat kept under the customer's business-scoped user id, follows the conversation there: a third read). Every part of a split text is mapped. Up to two reads are paid by every delivered or read status without callback data, those of the bridge's own notices too. | Holds when a status carries callback data; does not when a status without it matched a message the bridge sent with it. |
| `read_receipts_streamed`: Connect's contact streaming carries the agent's read receipts. The streaming documentation lists messages and events, not receipts. | Blue ticks the moment the agent reads (`mark_as_read` "agent"). | Blue ticks when the agent types (WhatsApp's typing indicator marks the newest message read) or when a reply goes out (the newest unread message is marked read after the send); Connect streams both for certain. The ticks come at the first sign of the agent, not at reading; a message the agent reads and never answers keeps grey ticks. | Holds at the first streamed read receipt. An agent's reply to a message no read receipt had marked read says it does not, but a receipt may only be late: that is said only while the container has seen nothing else, and a streamed receipt overturns it. |
| `message_id_is_wamid`: the `messageId` SendWhatsAppMessage returns is the WhatsApp id that the message's statuses, and the customer's reactions and quoted replies, name. The socialmessaging model says only "The unique identifier of the message". | Reactions and quoted replies showing what the agent wrote (`sentSnippets` is keyed by the returned id); the receipts' fallback above. | A status whose callback data names a message the session knows under another id tells the id WhatsApp uses: the message's snippet is kept under it too (one `UpdateItem`, once per id; a message is delivered before the customer can react to it), so the customer's reaction or quoted reply still shows what it refers to. Several files of one Connect message share their callback data and cannot be told apart: none is re-keyed. | Holds when a status names a message by the returned id; does not when its callback data names a message the session knows under another id. |

Without both the callback data and the returned id, nothing ties a status to a message: the agent
sees no Delivered or Read, and a reaction or quoted reply shows as "to an earlier message"; both
probes say so. The crash matrix runs the flows that exercise the fallbacks' calls with the twin's
behaviour taken away: `status-without-callback-data`, `status-names-another-id` and
`status-of-a-username-without-callback-data`.

## How the crash-point explorer works

`tests/crash/` runs each flow below through the real handlers against the twin, once, listing the
product's calls (botocore calls and the raw transfers to pre-signed URLs). Then, for every call, it
runs the flow again on a clean account and kills the invocation right after that call reached the
twin: a `BaseException` the product cannot catch, after which no call of that process leaves. Then
it retries as Lambda does:

- **same**: the same stream batch again;
- **newer**: the same batch plus a customer message that arrived meanwhile;
- **bisect**: the first half of the batch, then the second (BisectBatchOnFunctionError);
- **async**: the same event one minute later, then two minutes after that, with the product's
  clock moved alike, so the last attempt comes after any 120 s lock the killed one left.
  `start_conversation` is invoked synchronously, so Lambda retries nothing: here it is its caller
  (a flow, a script) that tries again.

A stream retry that reports batchItemFailures is retried from the first failed record, ten more
times (the mapping's `MaximumRetryAttempts`); what is left then goes to the stream's failure queue,
and the cell fails (`FAILURE QUEUE`). A conversation Connect cannot take waits in the buffer
instead (the waiting room): the flows `capacity-wait`, `chat-end-lets-in`, `scheduled-retry` and
`waiting-retry` run with the twin's concurrent chats quota at one chat, held by another customer
until the flow frees it, and `file-over-quota` with a chat full of files. Each cell then checks: every customer message, attachment and transcript is in the chat
exactly once and in order (across every chat of the conversation); every agent message reached
WhatsApp, at most twice and twice only when the kill fell right after `SendWhatsAppMessage`; the
agent's messages carry exactly the Delivered and Read marks WhatsApp's statuses reported; and
every chat Connect holds open has a session, else the agent's replies would be dropped.

Outcomes: `ok`; `ok (WhatsApp twice: unavoidable)`; `LOST` (a message never arrived); `DOUBLED`;
`EXTRA` (something nobody sent, such as a failure note); `ORDER`; `RECEIPT` (a Delivered or Read
mark missing from, or added to, the agent's messages); `ORPHAN` (an open chat without a session); `FAILURE QUEUE` (a stream batch's retries ran out); `RAISED …` (an asynchronous
event's retries still failed, so it ends in its failure queue).

**The one window no API closes**: a kill right after `SendWhatsAppMessage` and before the bridge
records that it sent. WhatsApp sends carry no idempotency key, so the retry cannot tell whether the
customer already has the message, and sends it again. Every other window is closed by an
idempotency token (Connect's ClientToken) or a record written before the call.

`python -m tests.crash.matrix --write` regenerates this page; `pytest
tests/test_crash_matrix.py` runs each cell as its own test.

## The matrix
"""


def main(argv: list[str]) -> None:
    from tests.conftest import ROOT
    from tests.crash.standalone import standalone_account

    # The product logs to stdout; the page must not carry its lines.
    with redirect_stdout(sys.stderr), standalone_account() as fresh_bridge:
        results = []
        for cell in cells_of(fresh_bridge):
            with explorer_on(fresh_bridge()) as explorer:
                results.append((cell, explorer.run_cell(cell.flow, cell.kill_at, cell.kind)))
    page = PAGE_HEAD + render(results)
    if "--write" in argv:
        (ROOT / "docs" / "reliability.md").write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)


if __name__ == "__main__":
    main(sys.argv[1:])
