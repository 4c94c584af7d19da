"""The twin's one clock: Connect's rules and WhatsApp's 24-hour window read the same time."""

import threading
import time
from datetime import datetime, timezone


class Clock:
    """Wall-speed time that tests move forward (Twin.advance_clock), so rules measured in minutes
    or hours run in a test's milliseconds.

    With `start` (epoch seconds), time begins there, on construction and on every reset, and
    runs at wall speed from it; without, it is the wall clock plus whatever was advanced.
    """

    def __init__(self, start=None):
        self._start = start
        self._lock = threading.Lock()
        self.reset()

    def timestamp(self):
        return time.time() + self._offset

    def now(self):
        return datetime.fromtimestamp(self.timestamp(), timezone.utc)

    def advance(self, seconds):
        with self._lock:
            self._offset += seconds

    def reset(self):
        with self._lock:
            self._offset = 0.0 if self._start is None else self._start - time.time()
