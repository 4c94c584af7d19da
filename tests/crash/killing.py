"""Counting the product's AWS calls, and killing the invocation right after one of them.

Lambda can end a function between any two calls (a timeout, running out of memory, a host
failure). `CallMeter` wraps botocore's one call path and urllib's `OpenerDirector.open` (the raw
transfers to pre-signed URLs, whichever opener makes them), so every call the product makes is seen once it has reached the twin. Armed with a
kill point, it raises `Killed` right after that call, and from then on refuses every further call
before it is sent: a dead process makes no calls, whichever thread tries.
"""
from __future__ import annotations

import sys
import threading
import urllib.request
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import botocore.client

TRANSFER = "transfer"


class Killed(BaseException):
    """The function died here. Not an Exception, so no `except Exception` in the product stops it."""


@dataclass(frozen=True)
class KillPoint:
    """The `occurrence`-th call of `operation` on `service` within one invocation.

    Named by operation rather than by position, so concurrent calls (a transcription in the
    background, conversations flushed in parallel) name the same point in every run.
    """

    service: str
    operation: str
    occurrence: int = 1

    @property
    def label(self) -> str:
        suffix = f"#{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.service}.{self.operation}{suffix}"


def _from_the_twin() -> bool:
    """True when the call is the twin's own (it calls moto from inside its request handlers)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("emulator."):
            return True
        frame = frame.f_back
    return False


class CallMeter:
    """Sees the product's calls while `watching()`; install() once, uninstall() at the end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watching = False
        self._kill_at: KillPoint | None = None
        self._seen: Counter[tuple[str, str]] = Counter()
        self.calls: list[KillPoint] = []
        self.killed_after: KillPoint | None = None
        self._undo: list[Callable[[], None]] = []

    # --- installation ---

    def install(self) -> "CallMeter":
        original_call = botocore.client.BaseClient._make_api_call
        original_open = urllib.request.OpenerDirector.open
        meter = self

        def make_api_call(client: Any, operation_name: str, api_params: dict) -> Any:
            service = client.meta.service_model.service_name
            return meter._call(service, operation_name,
                               lambda: original_call(client, operation_name, api_params))

        def open_url(opener: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            method = url.get_method() if isinstance(url, urllib.request.Request) else "GET"
            return meter._call(TRANSFER, method, lambda: original_open(opener, url, *args, **kwargs))

        botocore.client.BaseClient._make_api_call = make_api_call
        urllib.request.OpenerDirector.open = open_url
        self._undo = [lambda: setattr(botocore.client.BaseClient, "_make_api_call", original_call),
                      lambda: setattr(urllib.request.OpenerDirector, "open", original_open)]
        return self

    def uninstall(self) -> None:
        for undo in self._undo:
            undo()
        self._undo = []

    # --- one invocation ---

    def watch(self, kill_at: KillPoint | None = None) -> None:
        """From now on, count the product's calls (afresh) and kill after `kill_at`, if given."""
        with self._lock:
            self._watching = True
            self._kill_at = kill_at
            self._seen.clear()
            self.calls = []
            self.killed_after = None

    def stop(self) -> None:
        """The invocation is over; a later one (a retry) runs in a live process again."""
        with self._lock:
            self._watching = False
            self._kill_at = None

    def _call(self, service: str, operation: str, call: Callable[[], Any]) -> Any:
        if not self._watching or _from_the_twin():
            return call()
        with self._lock:
            if self.killed_after is not None:
                raise Killed(f"the process died after {self.killed_after.label}")
        try:
            return call()
        finally:
            with self._lock:
                self._seen[(service, operation)] += 1
                point = KillPoint(service, operation, self._seen[(service, operation)])
                self.calls.append(point)
                if point == self._kill_at:
                    self.killed_after = point
            if self.killed_after == point:
                raise Killed(f"killed right after {point.label}")
