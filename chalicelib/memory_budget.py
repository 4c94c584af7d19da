"""How many bytes of customers' media one process holds at once: bounded by construction.

The flush delivers up to `flush_concurrency` (32) conversations side by side, and each may hold a
file of up to `max_media_mb` (100 MB) from the moment it is read from the media bucket until it is
uploaded to the chat: 3.2 GB, in a function of 1024 MB. So every file's bytes are held against one
process-wide budget, the function's memory less a margin for the runtime, the clients, ffmpeg and
the converted copy of a voice note. A conversation whose file does not fit waits, in this process,
for those ahead of it to finish their uploads: waiters go first come first served, so none waits
for more than the uploads ahead of it, and a file larger than the whole budget goes through alone.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from contextlib import contextmanager
from typing import Iterator, Mapping

from . import logs

# Lambda sets the function's memory, in MB, in every function's environment (Lambda developer
# guide, "Defined runtime environment variables": AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
MEMORY_VARIABLE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
# Outside Lambda (tests, the sandbox): the flush's configured memory.
DEFAULT_MEMORY_MB = 1024
# What the process needs besides the files: Python, boto3's clients, ffmpeg converting a voice
# note, a voice note's wav copy, the stream batch.
MARGIN_MB = 256
MIB = 1024 * 1024


def budget_bytes(environ: Mapping[str, str]) -> int:
    """The function's memory less the margin (at least one MiB: a file then goes alone)."""
    try:
        memory_mb = int(environ.get(MEMORY_VARIABLE, DEFAULT_MEMORY_MB))
    except ValueError:
        memory_mb = DEFAULT_MEMORY_MB
    return max(1, memory_mb - MARGIN_MB) * MIB


class ByteBudget:
    """A counting semaphore in bytes, fair, with a record of its highest use."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.held = 0
        self.peak = 0  # the most bytes ever held at once
        self.waits = 0  # how many holds had to wait
        self._line: deque[object] = deque()
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, size: int) -> Iterator[None]:
        size = max(0, size)
        ticket = object()
        with self._changed:
            self._line.append(ticket)
            if not self._may_enter(ticket, size):
                self.waits += 1
                logs.info("media_waits_for_memory", size=size, held=self.held, budget=self.capacity)
                while not self._may_enter(ticket, size):
                    self._changed.wait()
            self._line.popleft()
            self.held += size
            self.peak = max(self.peak, self.held)
            self._changed.notify_all()  # the next in line may fit as well
        try:
            yield
        finally:
            with self._changed:
                self.held -= size
                self._changed.notify_all()

    def _may_enter(self, ticket: object, size: int) -> bool:
        return self._line[0] is ticket and (self.held == 0 or self.held + size <= self.capacity)


_lock = threading.Lock()
_media: ByteBudget | None = None


def media_budget() -> ByteBudget:
    """The process's one budget for customers' media, sized on first use."""
    global _media
    with _lock:
        if _media is None:
            _media = ByteBudget(budget_bytes(os.environ))
        return _media


def set_media_budget(capacity: int | None) -> ByteBudget:
    """A fresh budget of `capacity` bytes (None: sized from the environment again); for tests."""
    global _media
    with _lock:
        _media = ByteBudget(budget_bytes(os.environ) if capacity is None else capacity)
        return _media
