"""The clock the product reads in tests: the twin's, and ahead of it when Lambda's retries come later
(emulator/product_clock.py hands it to the product)."""
from __future__ import annotations

from types import ModuleType
from typing import Callable

from emulator.product_clock import wrap_runtime_clock


def install_twin_clock(app_module: ModuleType, twin) -> Callable[[], None]:
    """The product reads the twin's one clock, as a deployed function and AWS share one time;
    returns the undo."""
    return wrap_runtime_clock(vars(app_module), lambda _: twin.clock.timestamp)


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
        return wrap_runtime_clock(vars(app_module), lambda base: lambda: base() + self.offset)
