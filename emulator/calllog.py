"""Thread-safe record of every request the twin's servers receive."""

import copy
import threading
import time


class CallLog:
    """Entries are dicts: service, operation, params, status, error (code or None), and the time
    the answer was ready (`at`, seconds since the epoch)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def record(self, service, operation, params, status, error=None):
        # A snapshot: the handler that logged the params may still be changing them.
        entry = {
            "service": service,
            "operation": operation,
            "params": copy.deepcopy(params),
            "status": status,
            "error": error,
            "at": time.time(),
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self, service=None, operation=None):
        with self._lock:
            selected = [
                e
                for e in self._entries
                if (service is None or e["service"] == service)
                and (operation is None or e["operation"] == operation)
            ]
            # Deep copies, so a test that mutates what it got cannot rewrite history.
            return copy.deepcopy(selected)

    def clear(self):
        with self._lock:
            self._entries.clear()
