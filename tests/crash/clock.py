"""A clock Lambda's retries can move: the product reads time through `Runtime.clock`.

The handlers build their Runtime with `app.runtime()`; wrapping that one function hands every
invocation this clock, whatever modules the product's logic lives in.
"""
from __future__ import annotations

import time
from types import ModuleType
from typing import Callable


class MovableClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def install(self, app_module: ModuleType) -> Callable[[], None]:
        """Every runtime app.py builds from now on reads this clock; returns the undo."""
        build = app_module.runtime

        def runtime_with_clock():
            runtime = build()
            runtime.clock = self
            return runtime

        app_module.runtime = runtime_with_clock
        return lambda: setattr(app_module, "runtime", build)
