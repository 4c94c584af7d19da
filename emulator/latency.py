"""Simulated network latency for every emulated AWS call, and a count of calls in flight.

Latency makes the twin behave like a remote service, which is what the benchmarks measure against;
the in-flight peak shows how many calls the product really makes at once.
"""

import threading
import time


class CallPacing:
    def __init__(self, seconds=0.0):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._in_flight = 0
        self.peak_in_flight = 0

    def reset(self):
        with self._lock:
            self.peak_in_flight = self._in_flight

    def wrap(self, app):
        def paced(environ, start_response):
            # The twin's own calls (control API, moto resets, its internal S3 reads and writes)
            # are not the product's and neither wait nor count.
            if (environ.get("PATH_INFO", "").startswith(("/_emulator/", "/moto-api/"))
                    or environ.get("HTTP_X_EMULATOR_INTERNAL")):
                return app(environ, start_response)
            with self._lock:
                self._in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            try:
                if self.seconds:
                    time.sleep(self.seconds)
                return app(environ, start_response)
            finally:
                with self._lock:
                    self._in_flight -= 1

        return paced
