"""The clock the product reads, chosen by whoever runs it here: the tests, the sandbox, the bench.

The product reads time only through `Runtime.clock`, and its handlers build every Runtime with
app.py's `runtime()`. Rebinding that one name in app.py's namespace hands every invocation the
chosen clock, whatever module the product's logic lives in; the product itself never knows.
"""
from __future__ import annotations

from typing import Any, Callable, MutableMapping

Clock = Callable[[], float]


def wrap_runtime_clock(app_namespace: MutableMapping[str, Any],
                       choose: Callable[[Clock], Clock]) -> Callable[[], None]:
    """Every Runtime app.py builds from now on reads `choose(the clock it would have read)`;
    `app_namespace` is app.py's module namespace (`vars(app)`, or a handler's `__globals__`).
    Returns the undo."""
    build = app_namespace["runtime"]

    def runtime_with_clock():
        runtime = build()
        runtime.clock = choose(runtime.clock)
        return runtime

    app_namespace["runtime"] = runtime_with_clock
    return lambda: app_namespace.__setitem__("runtime", build)
