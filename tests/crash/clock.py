"""The clock the product reads in tests: the product reads time only through `Runtime.clock`.

The handlers build their Runtime with `app.runtime()`; wrapping that one function hands every
invocation the clock a test chooses, whatever modules the product's logic lives in.
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable

Clock = Callable[[], float]


def wrap_runtime_clock(app_module: ModuleType, choose: Callable[[Clock], Clock]) -> Callable[[], None]:
    """Every runtime app.py builds from now on reads `choose(the clock it would have read)`;
    returns the undo."""
    build = app_module.runtime

    def runtime_with_clock():
        runtime = build()
        runtime.clock = choose(runtime.clock)
        return runtime

    app_module.runtime = runtime_with_clock
    return lambda: setattr(app_module, "runtime", build)


def install_twin_clock(app_module: ModuleType, twin) -> Callable[[], None]:
    """The product reads the twin's one clock, as a deployed function and AWS share one time;
    returns the undo."""
    return wrap_runtime_clock(app_module, lambda _: twin.clock.timestamp)


class MovableClock:
    """The product's clock moved ahead of the twin's by `offset`, as Lambda's retries come later
    while the twin's Connect clock stays where it is. It reads whatever clock the runtimes read
    when it is installed (the twin's, once the `bridge` fixture has installed it)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def install(self, app_module: ModuleType) -> Callable[[], None]:
        """Every runtime app.py builds from now on reads this clock; returns the undo."""
        return wrap_runtime_clock(app_module, lambda base: lambda: base() + self.offset)
