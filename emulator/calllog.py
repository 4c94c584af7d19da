"""Thread-safe record of every request the twin's servers receive."""

import copy
import threading


class CallLog:
    """Entries are dicts: service, operation, params, status, error (code or None)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def record(self, service, operation, params, status, error=None):
        entry = {
            "service": service,
            "operation": operation,
            "params": params,
            "status": status,
            "error": error,
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
