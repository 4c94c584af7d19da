"""The crash matrix (docs/reliability.md): each flow killed right after each of its calls and
retried as Lambda retries it; every message must reach the other side exactly once.

The cells are listed while this module is collected, by running each flow once on a twin of its
own (tests/crash/standalone.py), so a new call in the product is a new cell without any edit here.
A failing cell says its outcome and why; the tables of every cell are docs/reliability.md's
(`python -m tests.crash.matrix --write`), not this run's output.
"""
from __future__ import annotations

import functools

import pytest

from tests.crash.flows import FLOWS_BY_NAME
from tests.crash.killing import Killed, KillPoint
from tests.crash.matrix import Cell, cells_of, explorer_on

# Cells that fail on today's product, by id, with their outcome and cause, e.g.
#   "agent-text-after-dynamodb.UpdateItem-async": "LOST: the retry finds the claim in progress ...",
# run as strict xfails. A fixed cell XPASSes, which fails the run: delete its line.
KNOWN_FAILING: dict[str, str] = {}


@functools.cache
def all_cells() -> tuple[Cell, ...]:
    from tests.crash.standalone import standalone_account

    with standalone_account() as fresh_bridge:
        return tuple(cells_of(fresh_bridge))


def pytest_generate_tests(metafunc):
    if "cell" not in metafunc.fixturenames:
        return
    params = []
    for cell in all_cells():
        reason = KNOWN_FAILING.get(cell.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(cell, id=cell.id, marks=marks))
    metafunc.parametrize("cell", params)


def test_cell(bridge, cell: Cell):
    with explorer_on(bridge) as explorer:
        outcome = explorer.run_cell(cell.flow, cell.kill_at, cell.kind)

    assert outcome.passed, f"{outcome.label}: " + "; ".join(outcome.details)


@pytest.mark.parametrize("flow_name", list(FLOWS_BY_NAME))
def test_the_flow_meets_its_expectations_when_nothing_dies(bridge, flow_name):
    """So that a cell's failure is the crash's, not the flow's."""
    with explorer_on(bridge) as explorer:
        outcome = explorer.run_undisturbed(FLOWS_BY_NAME[flow_name])

    assert outcome.label == "ok", "; ".join(outcome.details)


def test_the_kill_ends_the_flush_even_from_its_worker_thread_and_no_call_follows(bridge):
    flow = FLOWS_BY_NAME["new-chat"]
    with explorer_on(bridge) as explorer:
        records = flow.prepare(bridge)
        explorer.meter.watch(KillPoint("connect", "StartChatContact"))
        with pytest.raises(Killed):
            bridge.flush(records)
        explorer.meter.stop()

    assert explorer.meter.calls[-1].label == "connect.StartChatContact"
    product_calls = [(c["service"], c["operation"]) for c in bridge.twin.calls
                     if c["service"] != "dynamodbstreams"]
    assert product_calls[-1] == ("connect", "StartChatContact")
