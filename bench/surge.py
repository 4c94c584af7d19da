"""The surge (issue 18 §4): a thousand new customers within a minute against Connect's limits.

Driven in real time, in this process, the way Lambda drives the deployed functions: a stream
poller hands the buffer table's stream to `flush_buffer` (batches of up to 100 records, a 2 s
batching window, partial batch responses retried from the first failed record up to 10 times,
then counted as the on-failure queue's), a pool of threads runs `on_whatsapp_event` for each
customer message and `on_connect_event` for each chat an agent ends, and `retry_waiting` runs every
60 s, as its `Rate(1, MINUTES)` schedule does. The twin's clock runs at wall speed.

The account: 100 concurrent chats, StartChatContact at 5 per second with a burst of 5 (Connect's
documented rate is 5 per second, burst 8; 5 keeps the ideal simple). Before the surge 20
"regulars" open a chat each; during it they keep writing, every 6 s each, into those chats, which
the agents never end (long conversations): the surge has the other 80 chats. The agents end the
oldest surge chat that has been open for at least 18 s, at most 4 chats a second. Every tenth
surge customer writes again 5 s after their first message (that one joins their wait, or their
chat, never a second busy message).

`python -m bench.surge TWIN-ARGUMENTS` runs the twin (`python -m emulator`'s arguments) with one
change to moto, see `back_up_only_the_items_a_transaction_writes`.
"""
from __future__ import annotations

import collections
import logging
import os
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

# Threads per function: Lambda would run more, but the twin serves DynamoDB one call at a time.
FUNCTION_CONCURRENCY = {"on_whatsapp_event": 32, "on_connect_event": 32, "retry_waiting": 2}
SURGE_TEXT = re.compile(r"^Surge customer (\d+): ")
REGULAR_TEXT = re.compile(r"^Regular (\d+) message (\d+)$")


@dataclass(frozen=True)
class SurgeParameters:
    customers: int = 1000
    arrival_seconds: float = 60.0  # the surge customers' first messages, evenly spread
    quota: int = 100  # concurrent active chats of the instance
    start_rate: float = 5.0  # StartChatContact per second
    start_burst: int = 5
    regulars: int = 20  # customers with an open chat before the surge, never ended
    regular_every: float = 6.0  # seconds between a regular's messages
    end_rate: float = 4.0  # chats the agents end per second, at most
    hold_seconds: float = 18.0  # a chat is ended once it has been open this long, oldest first
    follow_up_every: int = 10  # every tenth surge customer writes a second message
    follow_up_after: float = 5.0
    schedule_seconds: float = 60.0  # retry_waiting's rate in app.py
    batch_size: int = 100  # flush_buffer's event source mapping (app.py)
    batching_window: float = 2.0  # BUFFER_SECONDS
    max_retries: int = 10  # the mapping's MaximumRetryAttempts (scripts/deploy_bridge.py)
    limit_seconds: float = 900.0  # the surge stops here, whatever is left

    @property
    def surge_slots(self) -> int:
        return self.quota - self.regulars


# --- the ideal ------------------------------------------------------------------------------------

def ideal_seconds(p: SurgeParameters) -> float | None:
    """When the last surge customer would be in a chat if the bridge lost no time at all.

    With S = quota - regulars chats for the surge, N customers, start rate r (burst b), agents
    ending at most e chats a second, each once it is H seconds old:
    - the customers arrive faster than r, so the first S chats open at the start rate and the
      quota is full at (S - b) / r;
    - if that is before H, no chat ends before the quota is full, and from H on every chat the
      agents end is taken at once by the next customer: the k-th freed chat at H + (k - 1) / e,
      provided e <= r (the start rate keeps up) and e <= S / H (an open chat is always old enough
      to be ended: Little's law);
    - customer N gets the (N - S)-th freed chat: T = H + (N - S - 1) / e.
    None when the parameters break one of these conditions (`ideal_openings` then applies).
    """
    n, s, r, b, e, h = (p.customers, p.surge_slots, p.start_rate, p.start_burst, p.end_rate,
                        p.hold_seconds)
    if not (n / p.arrival_seconds > r and n > s and (s - b) / r <= h and e <= r and e <= s / h):
        return None
    return h + (n - s - 1) / e


def ideal_openings(p: SurgeParameters, step: float = 0.01) -> list[float]:
    """The same ideal, simulated: when each surge customer's chat opens (seconds after the first
    wrote) if every chat is opened the moment a start token and a free chat allow."""
    arrivals = [i * p.arrival_seconds / p.customers for i in range(p.customers)]
    tokens = float(p.start_burst)
    open_since: collections.deque[float] = collections.deque()
    openings: list[float] = []
    next_end = 0.0
    tick = 0
    close = 1e-9  # steps of `step` seconds add up with rounding errors
    while len(openings) < p.customers:
        t = tick * step
        if t >= next_end - close and open_since and t - open_since[0] >= p.hold_seconds - close:
            open_since.popleft()
            next_end = t + 1 / p.end_rate
        while (len(openings) < p.customers and arrivals[len(openings)] <= t + close
               and tokens >= 1 - close and len(open_since) < p.surge_slots):
            tokens -= 1
            open_since.append(t)
            openings.append(t)
        tick += 1
        tokens = min(p.start_burst, tokens + p.start_rate * step)
    return openings


# --- Lambda's stream event source mapping ---------------------------------------------------------

class StreamPoller:
    """flush_buffer's DynamoDB stream event source mapping, one batch at a time (one shard,
    parallelization factor 1): a batch goes when it holds `batch_size` records or its oldest
    record has waited `window` seconds; a batch with batchItemFailures is delivered again from its
    first failed record (Lambda checkpoints the records before it), after a backoff, up to
    `max_retries` times, after which those records go to the on-failure queue (counted) and the
    mapping moves on. A function error retries the whole batch the same way."""

    BACKOFF = (1.0, 2.0, 4.0, 8.0)

    def __init__(self, read: Callable[[], list[dict]], deliver: Callable[[dict], Any], window: float,
                 batch_size: int = 100, max_retries: int = 10) -> None:
        self._read = read
        self._deliver = deliver
        self.window = window
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.pending: list[tuple[float, dict]] = []  # (when read, record)
        self.retries = 0
        self.retry_at = 0.0
        self.failure_queue = 0
        self.redeliveries = 0
        self.function_errors = 0
        self.batches: list[tuple[int, float]] = []  # (records, seconds) of each invocation
        self.read_errors = 0

    @property
    def idle(self) -> bool:
        return not self.pending

    def poll(self, now: float) -> bool:
        """One turn: read, and deliver a batch when one is due; True when it delivered."""
        try:
            self.pending.extend((now, record) for record in self._read())
        except Exception:  # noqa: BLE001 - the mapping keeps polling
            self.read_errors += 1
        if not self.pending or now < self.retry_at:
            return False
        if len(self.pending) < self.batch_size and now - self.pending[0][0] < self.window:
            return False
        batch = [record for _, record in self.pending[:self.batch_size]]
        done = self._invoke(batch)
        if done < len(batch):
            self.retries += 1
            if self.retries > self.max_retries:
                self.failure_queue += len(batch) - done
                done, self.retries = len(batch), 0
            else:
                self.redeliveries += 1
                self.retry_at = now + self.BACKOFF[min(self.retries, len(self.BACKOFF)) - 1]
        else:
            self.retries = 0
        del self.pending[:done]
        return True

    def _invoke(self, batch: list[dict]) -> int:
        """How many leading records of the batch are done."""
        started = time.perf_counter()
        try:
            result = self._deliver({"Records": batch})
        except Exception:  # noqa: BLE001 - a function error: the whole batch again
            self.function_errors += 1
            return 0
        finally:
            self.batches.append((len(batch), time.perf_counter() - started))
        failed = {f.get("itemIdentifier") for f in (result or {}).get("batchItemFailures") or []}
        if not failed:
            return len(batch)
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed:
                return index
        return 0


# --- what the bridge said --------------------------------------------------------------------------

class LogCounter(logging.Handler):
    """Counts the bridge's log events by name, and who waited and why."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.events: collections.Counter[str] = collections.Counter()
        self.waits: dict[str, set[str]] = collections.defaultdict(set)  # reason -> conversations
        self.retried: collections.Counter[str] = collections.Counter()

    stopped = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.stopped:
            return
        name, fields = record.getMessage(), getattr(record, "fields", {})
        with self.lock:  # logging.Handler's own
            self.events[name] += 1
            if name == "conversation_waits":
                self.waits[fields.get("reason", "")].add(fields.get("conversationId", ""))
            elif name == "waiting_conversation_retried":
                self.retried[fields.get("reason", "")] += 1
            elif name == "waiting_conversations_retried":
                self.retried["scheduled"] += fields.get("retried", 0)

    def reset(self) -> None:
        with self.lock:  # logging.Handler's own
            self.events.clear()
            self.waits.clear()
            self.retried.clear()


class CallCounter:
    """The AWS calls made through boto3's default session (the bridge's clients, created after
    `install`), by operation, as each was answered; StartChatContact (one attempt per call) by
    outcome. The stream poller's own reads (dynamodbstreams) are left out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self.counting = False

    def install(self) -> None:
        import boto3

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("after-call", self._after)

    def _after(self, parsed: dict, model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if not self.counting or service == "dynamodbstreams":
            return
        with self.lock:
            self.calls[f"{service} {model.name}"] += 1
            if model.name == "StartChatContact":
                self.outcomes[(parsed.get("Error") or {}).get("Code") or "opened"] += 1

    def start(self) -> None:
        with self.lock:
            self.outcomes.clear()
            self.calls.clear()
            self.counting = True

    def stop(self) -> None:
        self.counting = False


# --- the agents --------------------------------------------------------------------------------------

def absolute_time(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def customer_lines(contact: dict) -> list[tuple[str, float]]:
    """Each line the customer said in the chat, with when Connect took it (its AbsoluteTime)."""
    return [(line, absolute_time(item["AbsoluteTime"])) for item in contact.get("transcript", [])
            if item.get("ParticipantRole") == "CUSTOMER" and item.get("Type") == "MESSAGE"
            for line in str(item.get("Content", "")).splitlines()]


@dataclass
class Agents:
    """Every second they look at the chats; at most `rate` a second they end the oldest surge
    chat open for `hold` seconds, and Connect streams its chat.ended event to on_connect_event."""

    twin: Any
    now: Callable[[], float]  # the twin's clock
    rate: float
    hold: float
    keep: set[str]  # the regulars' chats, never ended
    on_ended: Callable[[dict], None]
    open_since: dict[str, float] = field(default_factory=dict)
    ended: set[str] = field(default_factory=set)
    surge_in: set[int] = field(default_factory=set)  # surge customers whose first line is in a chat
    look_errors: int = 0

    def look(self) -> None:
        try:
            contacts = self.twin.contacts()
        except Exception:  # noqa: BLE001 - the twin lists contacts while they change; next time
            self.look_errors += 1
            return
        for contact_id, contact in contacts.items():
            if contact["status"] == "ENDED":
                self.open_since.pop(contact_id, None)
                continue
            if contact_id in self.keep or contact_id in self.ended:
                continue
            if contact_id not in self.open_since:
                self.open_since[contact_id] = absolute_time(contact["started_at"])
            for line, _ in customer_lines(contact):
                match = SURGE_TEXT.match(line)
                if match and "first" in line:
                    self.surge_in.add(int(match.group(1)))

    def end_oldest(self) -> bool:
        due = [(since, c) for c, since in self.open_since.items() if self.now() - since >= self.hold]
        if not due:
            return False
        _, contact_id = min(due)
        del self.open_since[contact_id]
        self.ended.add(contact_id)
        self.on_ended(self.twin.end_chat(contact_id))
        return True

    def run(self, stop: threading.Event) -> None:
        next_look = next_end = time.monotonic()
        while not stop.is_set():
            moment = time.monotonic()
            if moment >= next_look:
                self.look()
                next_look = moment + 1.0
            if moment >= next_end and self.end_oldest():
                # Steady: one chat every 1/rate seconds, never a catch-up burst.
                next_end = max(next_end, moment - 0.05) + 1 / self.rate
            stop.wait(0.02)


# --- the run -------------------------------------------------------------------------------------------

def scheduled_event(now: float) -> dict:
    """EventBridge's scheduled event, as Lambda hands it to an @app.schedule function."""
    return {"version": "0", "id": f"surge-{now:.0f}", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/retry_waiting"], "detail": {}}


class Surge:
    def __init__(self, scenario: Any, p: SurgeParameters) -> None:
        self.scenario = scenario
        self.twin = scenario.twin
        self.app = scenario.app
        self.p = p
        # Each function has its own concurrency, as in Lambda: a slow on_connect_event must not
        # hold up on_whatsapp_event. (The flush runs on the poller's thread.)
        self.pools = {name: ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
                      for name, workers in FUNCTION_CONCURRENCY.items()}
        self.start_lags: list[float] = []  # on_whatsapp_event: from the message's writing to its start
        self.in_flight = 0
        self.handler_errors: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        self.writing = threading.Lock()  # the scenario numbers customers and messages
        self.stop = threading.Event()
        self.stop_polling = threading.Event()
        self.written: dict[str, float] = {}  # text line -> twin time it was written
        self.first_written: dict[int, float] = {}
        self.poller = StreamPoller(scenario.stream.read, self._handler("flush_buffer"),
                                   p.batching_window, p.batch_size, p.max_retries)
        self.logs = LogCounter()
        self.starts = CallCounter()
        self.scheduled_passes = 0

    # Handlers run as Lambda runs them: concurrently, each event once, errors counted.
    def _handler(self, name: str, submitted: float | None = None) -> Callable[[dict], Any]:
        handler = getattr(self.app, name)

        def run(event: dict) -> Any:
            with self.lock:
                self.in_flight += 1
                if submitted is not None and name == "on_whatsapp_event":
                    self.start_lags.append(time.monotonic() - submitted)
            try:
                return handler(event, None)
            except Exception:
                with self.lock:
                    self.handler_errors[name] += 1
                raise
            finally:
                with self.lock:
                    self.in_flight -= 1
        return run

    def invoke(self, name: str, event: dict) -> None:
        self.pools[name].submit(self._handler(name, time.monotonic()), event)

    def queued(self) -> int:
        return sum(pool._work_queue.qsize() for pool in self.pools.values())

    def shutdown(self, wait: bool) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=wait, cancel_futures=True)

    def write(self, customer: str, text: str) -> None:
        """The customer writes now: End User Messaging Social's event to on_whatsapp_event."""
        with self.writing:
            event = self.scenario.text_event(customer, text)
            self.written[text] = self.scenario.now()
        self.invoke("on_whatsapp_event", event)

    def _poll_stream(self) -> None:
        while not self.stop_polling.is_set():
            if not self.poller.poll(time.monotonic()):
                time.sleep(0.25)

    def _drain(self, quiet_seconds: float = 3.0, limit_seconds: float = 60.0) -> None:
        """Until nothing has run and no record has waited for `quiet_seconds` (the last handlers'
        records reach the stream a moment after they return)."""
        deadline, quiet_since = time.monotonic() + limit_seconds, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < quiet_seconds:
            if not (self.poller.idle and self.in_flight == 0 and self.queued() == 0):
                quiet_since = time.monotonic()
            time.sleep(0.1)

    def _wait_until(self, moment: float) -> bool:
        """Sleeps until `moment` (monotonic); False when the run is stopping."""
        return not self.stop.wait(max(0.0, moment - time.monotonic()))

    def open_regulars(self) -> tuple[list[str], set[str]]:
        with self.writing:
            customers = [self.scenario.new_customer() for _ in range(self.p.regulars)]
        for n, customer in enumerate(customers):
            self.write(customer, f"Regular {n} message 0")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self._drain()
            contacts = self.twin.contacts()
            if len(contacts) >= self.p.regulars:
                return customers, set(contacts)
        raise RuntimeError(f"the regulars' chats did not open: {len(self.twin.contacts())} of "
                           f"{self.p.regulars}")

    def run(self) -> dict:
        # The bridge's log lines are counted, not printed: its JSON lines would bury the table.
        logger = logging.getLogger("whatsapp_connect_chat")
        printing, logger.handlers = logger.handlers, [self.logs]
        logger.disabled, logger.propagate = False, False
        logger.setLevel(logging.INFO)
        try:
            return self._run()
        finally:
            self.stop.set()
            self.stop_polling.set()
            self.shutdown(wait=False)
            logger.handlers = printing
            logger.disabled = True

    def _run(self) -> dict:
        p = self.p
        self.starts.install()
        poller = threading.Thread(target=self._poll_stream, name="stream-poller", daemon=True)
        poller.start()
        regulars, regular_chats = self.open_regulars()
        self.regular_customers = set(regulars)
        self.twin.set_limits({"concurrent_chats": p.quota,
                              "start_chat_rate": [p.start_rate, p.start_burst]})
        self.starts.start()
        self.logs.reset()
        busy_text = self.app.runtime().settings().busy_message
        sent_before = len(self.twin.sent())

        with self.writing:
            customers = [self.scenario.new_customer() for _ in range(p.customers)]
        self.surge_customers = set(customers)
        agents = Agents(self.twin, self.scenario.now, p.end_rate, p.hold_seconds, regular_chats,
                        lambda event: self.invoke("on_connect_event", event))
        t0, wall0 = self.scenario.now(), time.monotonic()
        arrivals_done = threading.Event()

        def arrivals() -> None:
            plan = []
            for n in range(p.customers):
                at = n * p.arrival_seconds / p.customers
                plan.append((at, n, "first"))
                if p.follow_up_every and n % p.follow_up_every == 0:
                    plan.append((at + p.follow_up_after, n, "again"))
            for at, n, which in sorted(plan):
                if not self._wait_until(wall0 + at):
                    return
                if which == "first":
                    self.first_written[n] = self.scenario.now()
                self.write(customers[n], f"Surge customer {n}: {which} message, I need help")
            arrivals_done.set()

        def regulars_write() -> None:
            count = 0
            while self._wait_until(wall0 + count * p.regular_every / p.regulars):
                n = count % p.regulars
                self.write(regulars[n], f"Regular {n} message {count // p.regulars + 1}")
                count += 1

        def schedule() -> None:
            passes = 1
            while self._wait_until(wall0 + passes * p.schedule_seconds):
                self.invoke("retry_waiting", scheduled_event(self.scenario.now()))
                self.scheduled_passes += 1
                passes += 1

        workers = [threading.Thread(target=target, daemon=True, name=name) for name, target in (
            ("arrivals", arrivals), ("regulars", regulars_write), ("schedule", schedule),
            ("agents", lambda: agents.run(self.stop)))]
        for worker in workers:
            worker.start()
        report_at = 30.0
        while time.monotonic() - wall0 < p.limit_seconds:
            if arrivals_done.is_set() and len(agents.surge_in) >= p.customers:
                break
            time.sleep(0.5)
            if time.monotonic() - wall0 >= report_at:
                report_at += 30
                print(f"surge: {time.monotonic() - wall0:.0f} s, {len(agents.surge_in)} of "
                      f"{p.customers} in a chat, {len(agents.open_since)} surge chats open, "
                      f"{len(self.poller.pending)} stream records pending", file=sys.stderr, flush=True)
        surge_seconds = time.monotonic() - wall0
        timed_out = not (arrivals_done.is_set() and len(agents.surge_in) >= p.customers)
        self.stop.set()
        for worker in workers:
            worker.join()
        if not timed_out:  # what the last handlers set off
            self._drain()
        # Past the limit, what is still running or queued is left: it is reported, not awaited.
        self.left = {"stream records not delivered": len(self.poller.pending),
                     "handler invocations running": self.in_flight,
                     "queued": self.queued()}
        self.stop_polling.set()
        self.shutdown(wait=not timed_out)
        self.starts.stop()
        self.logs.stopped = True
        return self.measure(t0, surge_seconds, timed_out, busy_text, sent_before, agents)

    def measure(self, t0: float, surge_seconds: float, timed_out: bool, busy_text: str,
                sent_before: int, agents: Agents) -> dict:
        from chalicelib import waiting

        p = self.p
        contacts = self.twin.contacts()
        said: dict[str, float] = {}
        for contact in contacts.values():
            for line, at in customer_lines(contact):
                said.setdefault(line, at)
        in_chat: dict[int, float] = {}
        regular_delays: list[float] = []
        regular_missing: list[float] = []  # how long before the end each was written
        ended_at = self.scenario.now()
        for text, written in self.written.items():
            surge, regular = SURGE_TEXT.match(text), REGULAR_TEXT.match(text)
            if surge and "first" in text and text in said:
                in_chat[int(surge.group(1))] = said[text] - t0
            elif regular and int(regular.group(2)) > 0 and written >= t0:
                if text in said:
                    regular_delays.append(said[text] - written)
                else:
                    regular_missing.append(ended_at - written)
        waits = [in_chat[n] - (self.first_written[n] - t0) for n in in_chat]
        busy = [s["message"]["to"] for s in self.twin.sent()[sent_before:]
                if s["message"].get("type") == "text"
                and s["message"].get("text", {}).get("body") == busy_text]
        busy_counts = collections.Counter(busy)
        runtime = self.app.runtime()
        still_waiting = waiting.oldest(runtime.clients.dynamodb, runtime.env.sessions_table, 10_000)
        ideal_run = ideal_openings(p)
        checkpoints = [c for c in (60, 120, 180, 240, 300, 450, 600, 750, 900)
                       if c <= max(surge_seconds, 300)]
        batches = self.poller.batches
        # conversationId is "<business phone number id>#<customer>"
        waited = {c.rpartition("#")[2] for c in set().union(*self.logs.waits.values())}
        return {
            "parameters": p, "surge_seconds": surge_seconds, "timed_out": timed_out,
            "all_in_seconds": max(in_chat.values()) if len(in_chat) == p.customers else None,
            "in_chat": len(in_chat), "ideal_seconds": ideal_seconds(p) or ideal_run[-1],
            "ideal_is_formula": ideal_seconds(p) is not None,
            "progress": [(c, sum(1 for v in in_chat.values() if v <= c),
                          sum(1 for v in ideal_run if v <= c)) for c in checkpoints],
            "waits": waits, "regular_delays": regular_delays, "regular_missing": regular_missing,
            "failure_queue": self.poller.failure_queue, "redeliveries": self.poller.redeliveries,
            "function_errors": self.poller.function_errors, "handler_errors": dict(self.handler_errors),
            "busy_sent": len(busy), "busy_customers": len(busy_counts),
            "busy_repeated": sum(1 for c in busy_counts.values() if c > 1),
            "waited_surge": len(waited & self.surge_customers),
            "waited_regulars": len(waited & self.regular_customers),
            "told_not_waited": len(set(busy_counts) - waited),
            "waited_by_reason": {r: len(c) for r, c in sorted(self.logs.waits.items())},
            "starts": dict(self.starts.outcomes), "calls": dict(self.starts.calls),
            "left": self.left, "still_waiting": len(still_waiting), "start_lags": self.start_lags,
            "chats_ended": len(agents.ended), "scheduled_passes": self.scheduled_passes,
            "retried": dict(self.logs.retried), "events": dict(self.logs.events),
            "batches": len(batches), "batch_records": [n for n, _ in batches],
            "batch_seconds": [s for _, s in batches],
        }


# --- the table -----------------------------------------------------------------------------------------

def _pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def ideal_note(p: SurgeParameters, ideal: float, formula: bool) -> str:
    if not formula:
        return (f"The ideal, {ideal:.0f} s, is simulated (`ideal_openings`): every chat opened the moment "
                "a start token and a free chat allow; these parameters break the closed formula's conditions.")
    return (f"The ideal: S = quota − regulars = {p.surge_slots} chats for the surge; they fill at the start "
            f"rate by (S − burst) / rate = {(p.surge_slots - p.start_burst) / p.start_rate:g} s, before the "
            f"first chat is old enough to end ({p.hold_seconds:g} s); from then on each chat the agents free "
            f"({p.end_rate:g}/s, which the start rate and the chats' age allow: {p.end_rate:g} ≤ "
            f"{p.start_rate:g} and ≤ S / hold = {p.surge_slots / p.hold_seconds:.2f}) goes at once to the "
            f"next customer, so customer N gets the (N − S)-th freed chat at hold + (N − S − 1) / end rate "
            f"= {ideal:.0f} s.")


def render(result: dict, machine: str, latency_ms: float) -> str:
    p: SurgeParameters = result["parameters"]
    ideal = result["ideal_seconds"]
    all_in = result["all_in_seconds"]
    starts = result["starts"]
    calls = sum(starts.values())
    refused = ", ".join(f"{n} {code}" for code, n in sorted(starts.items()) if code != "opened") or "none"
    if all_in is None:
        first_row = (f"| every surge customer's first message in a chat | **not reached**: "
                     f"{result['in_chat']} of {p.customers} in a chat when the run stopped at "
                     f"{result['surge_seconds']:.0f} s (ideal {ideal:.0f} s) |")
    else:
        first_row = (f"| every surge customer's first message in a chat | {all_in:.0f} s after the first "
                     f"wrote; ideal {ideal:.0f} s; **ratio {all_in / ideal:.2f}** |")
    progress = "; ".join(f"{c} s: {got} (ideal {want})" for c, got, want in result["progress"])
    events = result["events"]
    reasons = ", ".join(f"{r} {n}" for r, n in result["waited_by_reason"].items()) or "none"
    retried = ", ".join(f"{r} {n}" for r, n in sorted(result["retried"].items())) or "none"
    batches = result["batch_seconds"]
    lines = [
        f"{machine}; simulated AWS latency {latency_ms:g} ms per call. {p.customers} new customers write "
        f"within {p.arrival_seconds:g} s; Connect allows {p.quota} concurrent chats and StartChatContact "
        f"{p.start_rate:g}/s (burst {p.start_burst}); {p.regulars} regulars hold a chat each and write "
        f"every {p.regular_every:g} s; agents end the oldest surge chat open {p.hold_seconds:g} s, at most "
        f"{p.end_rate:g}/s; every {p.follow_up_every}th surge customer writes again {p.follow_up_after:g} s "
        f"later; retry_waiting every {p.schedule_seconds:g} s.", "",
        "| surge | figure |", "|---|---|",
        first_row,
        f"| surge customers in a chat after … | {progress} |",
        f"| a surge customer's wait, first message to chat (p50 / p99 / max) | "
        f"{_pct(result['waits'], .5):.0f} s / {_pct(result['waits'], .99):.0f} s / "
        f"{max(result['waits'], default=float('nan')):.0f} s |",
        f"| regulars' messages into their open chats (p50 / p99 / max of {len(result['regular_delays'])}) | "
        f"{_pct(result['regular_delays'], .5):.1f} s / {_pct(result['regular_delays'], .99):.1f} s / "
        f"{max(result['regular_delays'], default=float('nan')):.1f} s"
        + (f"; **{len(result['regular_missing'])} not in the chat when the run stopped**, the oldest "
           f"written {max(result['regular_missing']):.0f} s before" if result["regular_missing"] else "")
        + " |",
        f"| records in the flush's failure queue | **{result['failure_queue']}** "
        f"({result['redeliveries']} redeliveries, {result['function_errors']} function errors) |",
        f"| busy messages sent / surge customers who waited | "
        f"**{result['busy_sent']} / {result['waited_surge']}** ({result['busy_customers']} customers told, "
        f"{result['told_not_waited']} told without a logged wait, "
        f"{result['busy_repeated']} told twice or more) |",
        f"| waits by the refusal that started or extended them, as logged (customers; one may have "
        f"both) | {reasons}; regulars who waited: {result['waited_regulars']} |",
        f"| StartChatContact calls / chats opened | **{calls} / {starts.get('opened', 0)}** "
        f"(refused: {refused}) |",
        f"| retries asked for (retry items) | {retried}; {result['scheduled_passes']} scheduled passes |",
        f"| chats ended by the agents / conversations still waiting at the end | "
        f"{result['chats_ended']} / {result['still_waiting']} |",
        f"| flush_buffer invocations (median / max records; median / max wall) | {result['batches']} "
        f"({statistics.median(result['batch_records'] or [0]):.0f} / {max(result['batch_records'] or [0])}; "
        f"{statistics.median(batches or [0]):.1f} s / {max(batches or [0]):.1f} s) |",
        f"| the bridge's AWS calls, most frequent | "
        + ", ".join(f"{name} {n}" for name, n in sorted(result["calls"].items(), key=lambda i: -i[1])[:6])
        + " |",
        f"| left when the run stopped | "
        + ", ".join(f"{name}: {n}" for name, n in result["left"].items()) + " |",
        f"| on_whatsapp_event started after the message was written (p50 / p99 / max; the bench's own "
        f"lag) | {_pct(result['start_lags'], .5):.2f} s / {_pct(result['start_lags'], .99):.2f} s / "
        f"{max(result['start_lags'], default=float('nan')):.2f} s |",
        f"| handler errors | {result['handler_errors'] or 'none'} |",
        f"| the bridge's log events | wait_ended {events.get('wait_ended', 0)}, chat_started "
        f"{events.get('chat_started', 0)}, wait_gave_up {events.get('wait_gave_up', 0)}, "
        f"conversation_delivery_failed {events.get('conversation_delivery_failed', 0)}, "
        f"duplicate_chat_closed {events.get('duplicate_chat_closed', 0)} |",
        "",
        ideal_note(p, ideal, result["ideal_is_formula"])
        + " In-chat times are Connect's AbsoluteTime of the customer's line in the transcript; a "
        "regular's delay runs from the moment the message was handed to on_whatsapp_event and includes "
        "the 2 s batching window. The twin runs with one change to moto (bench/surge.py: a transaction "
        "backs up only the items it writes), so that moto's whole-table copies do not dominate.",
    ]
    if result["timed_out"]:
        lines.append(f"The run stopped at its limit ({p.limit_seconds:g} s) with "
                     f"{p.customers - result['in_chat']} surge customers not in a chat.")
    return "\n".join(lines)


# --- the twin, with one change to moto ---------------------------------------------------------------

def back_up_only_the_items_a_transaction_writes() -> None:
    """moto's TransactWriteItems deep-copies every table it touches, to roll back on failure: with
    the thousands of items a surge leaves in the sessions table that is about 0.3 s per copy, two
    per transaction, three transactions per chat, all while moto serves DynamoDB one request at a
    time (emulator/moto_server.py), so the run would measure moto. Here a transaction backs up only
    the items it writes and restores those on failure: the same outcome (a transaction on a table
    with a stream keeps moto's own full copy, which also rolls the stream back)."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    deepcopy = copy.deepcopy

    class _TablesKept:
        active = False

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if _TablesKept.active and isinstance(value, Table):
                return value  # the "backup" is the live table; its written items are restored below
            return deepcopy(value, memo)

    models.copy = _TablesKept
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict]) -> None:
        backups = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            if table.stream_shard is not None:
                return original(self, transact_items)
            attributes = op.get("Item") if op_type == "Put" else op.get("Key")
            try:
                hash_key, range_key = self.get_keys_value(table, attributes or {})
            except Exception:  # noqa: BLE001 - moto's own validation will answer it
                continue
            backups.append((table, hash_key, range_key, deepcopy(table.get_item(hash_key, range_key))))
        _TablesKept.active = True
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(backups):
                holder = table.items[hash_key] if range_key is not None else table.items
                key = range_key if range_key is not None else hash_key
                if item is None:
                    holder.pop(key, None)
                else:
                    holder[key] = item
            raise
        finally:
            _TablesKept.active = False

    models.DynamoDBBackend.transact_write_items = transact_write_items


def run(endpoints: dict[str, str], p: SurgeParameters) -> dict:
    """The surge against a twin of its own (`endpoints`), with a fresh bridge: new clients and
    caches, as a new deployment's containers would have."""
    from bench.scenarios import Scenario, TwinClient

    os.environ.update(endpoints)
    scenario = Scenario(TwinClient(endpoints["AWS_ENDPOINT_URL_CONNECT"]))
    from chalicelib.runtime import Caches, Clients

    scenario.app._clients, scenario.app._caches = Clients(), Caches()
    return Surge(scenario, p).run()


if __name__ == "__main__":
    back_up_only_the_items_a_transaction_writes()
    from emulator.__main__ import main

    main(sys.argv[1:])
