"""The emulated account outside pytest's fixtures: for listing each flow's calls while the matrix
is collected, and for `python -m tests.crash.matrix`. It builds what conftest's `aws` and
`bridge` fixtures build, from the same pieces."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Callable, Iterator

from chalice.test import Client

from emulator.twin import Twin
from tests.conftest import (
    REFERENCE_CLOCK_START, ROOT, Account, Bridge, create_bridge_resources, lambda_environment,
)
from tests.crash.clock import install_twin_clock


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _fresh_bridge(twin: Twin) -> Bridge:
    twin.reset()
    stream_arn = create_bridge_resources()
    twin.clear_calls()

    import app as app_module
    from chalicelib.runtime import Clients

    app_module._clients = Clients()
    app_module._caches.clear()
    return Bridge(Account(twin, stream_arn),
                  Client(app_module.app, stage_name="test", project_dir=str(ROOT)))


@contextmanager
def standalone_account() -> Iterator[Callable[[], Bridge]]:
    """A twin of its own, its clock the product's, and the Lambda environment; yields a factory
    of bridges on a clean account."""
    import app as app_module

    with Twin(clock_start=REFERENCE_CLOCK_START) as twin, _environ(lambda_environment(twin)):
        undo_clock = install_twin_clock(app_module, twin)
        try:
            yield lambda: _fresh_bridge(twin)
        finally:
            undo_clock()
