"""The emulated account outside pytest's fixtures: for listing each flow's calls while the matrix
is collected, and for `python -m tests.crash.matrix`. It builds what conftest's `aws` and
`bridge` fixtures build, from the same pieces."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Callable, Iterator

from chalice.test import Client

from emulator.twin import Twin
from tests.conftest import ROOT, Account, Bridge, create_bridge_resources, lambda_environment


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
    """A twin of its own and the Lambda environment; yields a factory of bridges on a clean account."""
    with Twin() as twin, _environ(lambda_environment(twin)):
        yield lambda: _fresh_bridge(twin)
