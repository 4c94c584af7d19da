"""Running the bridge's handlers the way Lambda would, inside the `chalice local` process.

- `invoke` calls one of the app's handlers (found in the app's `handler_map`, which the routes
  reach through their blueprint's `current_app`: nothing here imports app.py) with a Lambda-like
  context, and remembers which handler ("hop") is running, so the AWS calls it makes can be shown
  per hop on the page.
- `CallRecorder` sees every AWS call made through boto3's default session (the product's clients)
  via botocore's own event hooks: the product is not changed and does not know.
- `StreamPoller` is Lambda's DynamoDB-stream event source mapping: it reads the buffer table's
  stream (emulator/stream_records.py shapes the records as Lambda's), waits the batching window,
  delivers them to `flush_buffer`, and on `batchItemFailures` re-delivers from the first failed
  record.
- `Schedule` is EventBridge's `rate(1 minute)` rule for `retry_waiting` (`chalice local` runs no
  @app.schedule function by itself): a tick each minute of the sandbox's time.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from emulator.stream_records import StreamReader

logger = logging.getLogger("sandbox")

HANDLERS = ("on_whatsapp_event", "flush_buffer", "on_connect_event", "on_transcription_job",
            "start_conversation", "retry_waiting")
CALLS_KEPT = 300
BATCH_SIZE = 100  # the event source mapping's batch_size in app.py


class LambdaContext:
    """The parts of Lambda's context object a handler may read."""

    def __init__(self, function_name: str, timeout_seconds: int = 180) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Hops:
    """Which handlers are running, per thread and overall."""

    local: threading.local = field(default_factory=threading.local)
    active: collections.Counter = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> str:
        hop = getattr(self.local, "hop", None)
        if hop:
            return hop
        # The flush's worker threads are the product's own; attribute their calls to the one
        # handler running, which is what they belong to whenever a single hop is active.
        with self.lock:
            running = sorted(name for name, count in self.active.items() if count)
        return running[0] if len(running) == 1 else "+".join(running) or "sandbox"


HOPS = Hops()


def invoke(handler_map: Mapping[str, Callable], function_name: str, event: dict) -> Any:
    """Calls the app's handler as Lambda would: the event as JSON-like dicts and a context.
    `handler_map` is the Chalice app's (its routes are in it too, hence the check by name)."""
    if function_name not in HANDLERS:
        raise KeyError(f"no handler named {function_name}; one of {', '.join(HANDLERS)}")
    handler = handler_map[function_name]
    previous = getattr(HOPS.local, "hop", None)
    HOPS.local.hop = function_name
    with HOPS.lock:
        HOPS.active[function_name] += 1
    try:
        return handler(event, LambdaContext(f"whatsapp-connect-chat-local-{function_name}"))
    finally:
        with HOPS.lock:
            HOPS.active[function_name] -= 1
        HOPS.local.hop = previous


class CallRecorder:
    """The last AWS calls made through boto3's default session, tagged with their hop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: collections.deque[dict] = collections.deque(maxlen=CALLS_KEPT)
        self._sequence = 0
        self._clock: Callable[[], float] = time.time

    def install(self, clock: Callable[[], float] = time.time) -> None:
        """Records from now on; each call's time read from `clock` (the sandbox's time)."""
        self._clock = clock
        # Clients copy the session's event hooks when they are created; the product creates its
        # clients lazily on first use, after this runs at import time.
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events
        events.register("before-parameter-build", self._parameters)
        events.register("before-call", self._before)
        events.register("after-call", self._after)
        events.register("after-call-error", self._after_error)

    def calls(self) -> list[dict]:
        with self._lock:
            return [dict(call) for call in self._calls]

    def _parameters(self, params: dict, context: dict, **_: Any) -> None:
        # The API parameters are only seen here; before-call has the serialized request.
        context["sandbox_summary"] = _summary(params)

    def _before(self, model: Any, context: dict, **_: Any) -> None:
        with self._lock:
            self._sequence += 1
            call = {
                "seq": self._sequence,
                "time": self._clock(),
                "hop": HOPS.current(),
                "service": model.service_model.service_name,
                "operation": model.name,
                "status": None,
                "error": None,
                "summary": context.get("sandbox_summary", ""),
            }
            self._calls.append(call)
        context["sandbox_call"] = call

    def _after(self, http_response: Any, parsed: dict, context: dict, **_: Any) -> None:
        call = context.get("sandbox_call")
        if call is not None:
            call["status"] = getattr(http_response, "status_code", None)
            call["error"] = (parsed.get("Error") or {}).get("Code")

    def _after_error(self, exception: Exception, context: dict, **_: Any) -> None:
        call = context.get("sandbox_call")
        if call is not None:
            call["error"] = type(exception).__name__


_SUMMARY_KEYS = ("TableName", "IndexName", "Bucket", "Key", "Name", "ContactId", "ContentType",
                 "AttachmentName", "AttachmentId", "mediaId", "TranscriptionJobName", "LanguageCode")


def _summary(params: dict) -> str:
    """A few identifying parameters; never tokens or message bodies (the page shows these)."""
    parts = [f"{key}={params[key]}" for key in _SUMMARY_KEYS if isinstance(params.get(key), str)]
    return " ".join(parts)[:160]


RECORDER = CallRecorder()


class StreamPoller:
    """Lambda's stream event source mapping for `flush_buffer`, on one background thread.

    Shards that exist when the poller starts are read from LATEST, shards that appear later from
    TRIM_HORIZON: a restarted `chalice local` must not replay a day of buffered messages into new
    chats, and records written while the poller runs are never skipped.
    """

    def __init__(self, stream_arn: Callable[[], str], batching_window_seconds: float,
                 deliver: Callable[[dict], Any], poll_seconds: float = 0.25) -> None:
        self._stream_arn = stream_arn
        self._window = batching_window_seconds
        self._deliver = deliver
        self._poll_seconds = poll_seconds
        self._client = boto3.session.Session().client(  # not the recorded default session
            "dynamodbstreams", config=Config(retries={"mode": "standard"}))
        self._stream: StreamReader | None = None
        self.last_error = ""
        self.delivered_batches = 0
        self.thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)

    def start(self) -> StreamPoller:
        self.thread.start()
        return self

    def _run(self) -> None:
        pending: list[dict] = []
        first_seen = 0.0
        retry_at = 0.0
        backoff = 1.0
        while True:
            try:
                if self._stream is None:
                    stream = StreamReader(self._stream_arn(), self._client)
                    stream.skip_existing()
                    self._stream = stream
                new = self._stream.read()
            except Exception as error:  # noqa: BLE001 - keep polling, as the event source mapping does
                self.last_error = f"stream read failed: {error}"
                logger.warning(self.last_error)
                time.sleep(2)
                continue
            if new and not pending:
                first_seen = time.monotonic()
            pending.extend(new)
            now = time.monotonic()
            window_over = now - first_seen >= self._window or len(pending) >= BATCH_SIZE
            if pending and window_over and now >= retry_at:
                batch = pending[:BATCH_SIZE]
                done = self._flush(batch)
                if done == len(batch):
                    backoff = 1.0
                else:
                    retry_at = now + backoff
                    backoff = min(backoff * 2, 8.0)
                pending = pending[done:]
                first_seen = now
            time.sleep(self._poll_seconds)

    def _flush(self, batch: list[dict]) -> int:
        """Delivers a batch; returns how many leading records are done (Lambda checkpoints)."""
        try:
            result = self._deliver({"Records": batch})
        except Exception as error:
            self.last_error = f"flush_buffer raised {type(error).__name__}: {error}"
            logger.exception("flush_buffer failed; the batch will be retried")
            return 0
        self.delivered_batches += 1
        failed = {item.get("itemIdentifier") for item in (result or {}).get("batchItemFailures") or []}
        if not failed:
            self.last_error = ""
            return len(batch)
        self.last_error = f"flush_buffer reported {len(failed)} failed record(s); retrying"
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed:
                return index
        return 0  # an identifier that is none of the batch fails the whole batch, as in Lambda


class Schedule:
    """EventBridge's rate rule for one function, on one background thread, in the sandbox's time.

    `now` is the sandbox's clock (the twin's, which "+24 h" moves); `run(now)` invokes the function.
    A tick falls every `every_seconds` of that time, the first one `every_seconds` after the start,
    as a new rule's does. A clock moved past several ticks at once ("+24 h") runs one tick, at
    once, and the ticks go on every period after: each pass acts on the state at its own time
    (what is due, what waited too long), so one pass at the new time leaves what the 1,440 skipped
    ones would have. A tick that raises is logged; the next comes a period later, as EventBridge's.
    """

    def __init__(self, now: Callable[[], float], run: Callable[[float], Any], every_seconds: float = 60.0,
                 poll_seconds: float = 1.0, name: str = "schedule") -> None:
        self._now = now
        self._run = run
        self.every_seconds = every_seconds
        self._poll_seconds = poll_seconds
        self.next_at: float | None = None
        self.last_error = ""
        self.runs = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Schedule:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> bool:
        """One look at the clock; runs the function when a tick is due. True when it ran."""
        try:
            now = self._now()
        except Exception as error:  # noqa: BLE001 - the clock (the twin) may be briefly away
            self.last_error = f"clock unavailable: {error}"
            return False
        if self.next_at is None:
            self.next_at = now + self.every_seconds
            return False
        if now < self.next_at:
            return False
        # Ticks skipped by a moved clock are one; the next is a period after this one.
        skipped = (now - self.next_at) // self.every_seconds
        self.next_at += (skipped + 1) * self.every_seconds
        try:
            self._run(now)
            self.last_error = ""
        except Exception as error:  # noqa: BLE001 - logged; the rule fires again next period
            self.last_error = f"{type(error).__name__}: {error}"
            logger.exception("a scheduled invocation failed")
        self.runs += 1
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            self.tick()
