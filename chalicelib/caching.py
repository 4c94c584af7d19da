"""What a warm Lambda container may remember for a while instead of asking AWS again."""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, Hashable, TypeVar

Value = TypeVar("Value")


class ExpiringCache(Generic[Value]):
    """Values by key, each loaded on first use and kept for `ttl_seconds`."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[float, Value]] = {}

    def get(self, key: Hashable, load: Callable[[], Value]) -> Value:
        with self._lock:
            cached = self._values.get(key)
            now = self._clock()
            if cached is None or now - cached[0] >= self._ttl_seconds:
                cached = (now, load())
                self._values[key] = cached
            return cached[1]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
