"""The sandbox's one time: the twin's clock, which the "+24 h" control moves, and the product's
clock in this chalice local process, moved by the same amount.

The product reads time only through `Runtime.clock`, and its handlers build every Runtime with
app.py's `runtime()`. The sandbox never imports app.py (the app registers the sandbox, not the
reverse, and app.py is still being imported when this module loads), so `install` reaches that
factory through a handler the blueprint's app knows: the handler's undecorated function lives in
app.py, and its `__globals__` is app.py's module namespace. Rebinding `runtime` there is what every
handler calls from then on. Only the local stage registers the sandbox, so only it is changed.
"""
from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from emulator.product_clock import wrap_runtime_clock

DAY_SECONDS = 24 * 3600


class SandboxClock:
    """The wall clock plus how far the sandbox moved time (the twin's clock is the reference)."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self.offset = 0.0

    def __call__(self) -> float:
        return self._wall() + self.offset

    def follow(self, twin_now: float) -> None:
        """Takes the twin's time as the sandbox's (the twin runs at wall speed from wherever it was
        moved to; a restarted chalice local picks up a clock moved before)."""
        self.offset = twin_now - self._wall()

    def install(self, handler: Any) -> bool:
        """Makes every Runtime the app builds read this clock (`handler`: one of the app's
        handlers, from its handler_map). Returns True when it installed now; False when app.py's
        factory already reads this clock, or the handler's module has no `runtime` factory."""
        app_globals = inspect.unwrap(handler.func).__globals__
        with self._lock:
            build = app_globals.get("runtime")
            if build is None or getattr(build, "sandbox_clock", None) is self:
                return False
            wrap_runtime_clock(app_globals, lambda _: self)
            app_globals["runtime"].sandbox_clock = self
            return True
