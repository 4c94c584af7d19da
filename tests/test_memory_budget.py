"""Customers' files held in memory at once are bounded by the function's memory
(chalicelib/memory_budget.py): a conversation whose file does not fit waits for the upload ahead
of it, in the same flush, and is delivered."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest

from chalicelib import memory_budget
from chalicelib.memory_budget import ByteBudget
from tests.conftest import load_event, with_messages
from tests.test_media_inbound import webhook_message

MIB = 1024 * 1024
DOCUMENT = b"%PDF-1.4\n" + b"statement " * 62_000 + b"\n%%EOF"  # about 600 KB
OTHER_CUSTOMER = "15550100777"


class FirstHoldsUntilSecondWaits(ByteBudget):
    """Keeps the first file in memory until another conversation has asked for room (at most 10 s),
    so the two deliveries overlap whatever the scheduling."""

    def __init__(self, capacity):
        super().__init__(capacity)
        self.entered = 0

    @contextmanager
    def hold(self, size):
        with super().hold(size):
            self.entered += 1
            if self.entered == 1:
                deadline = time.monotonic() + 10
                with self._changed:
                    while self.waits < 1 and time.monotonic() < deadline:
                        self._changed.wait(timeout=0.05)
            yield


@pytest.fixture
def budget():
    yield
    memory_budget.set_media_budget(None)


def document_from(customer, message_id, twin):
    event = load_event("eum-document")
    message = {**webhook_message(event), "from": customer, "id": message_id}
    media_id = f"{message['document']['id']}{customer[-3:]}"
    message["document"] = {**message["document"], "id": media_id, "caption": None}
    twin.register_media(media_id, DOCUMENT, "application/pdf")
    return with_messages(event, [message])


def test_two_large_files_never_share_a_budget_only_one_fits_and_both_are_delivered(bridge, budget):
    capacity = len(DOCUMENT) + len(DOCUMENT) // 2  # one file fits, two do not
    observed = FirstHoldsUntilSecondWaits(capacity)
    memory_budget._media = observed
    bridge.whatsapp(document_from("15550100001", "wamid.memory-a", bridge.twin))
    bridge.whatsapp(document_from(OTHER_CUSTOMER, "wamid.memory-b", bridge.twin))

    assert bridge.flush() == {"batchItemFailures": []}

    assert observed.waits == 1  # the second conversation waited, in the flush, for room
    assert observed.peak == len(DOCUMENT) <= capacity  # never both files at once
    assert observed.held == 0
    attached = [a for a in bridge.twin.connect.attachments.values() if a.status == "APPROVED"]
    assert [a.data for a in attached] == [DOCUMENT, DOCUMENT]
    assert len({a.contact_id for a in attached}) == 2  # one in each customer's chat


def test_waiters_enter_in_order_and_a_file_larger_than_the_budget_goes_alone():
    budget = ByteBudget(10)
    order = []
    first_in = threading.Event()
    release_first = threading.Event()

    def first():
        with budget.hold(8):
            first_in.set()
            release_first.wait(10)
            order.append("first out")

    def later(name, size):
        with budget.hold(size):
            order.append(name)

    holder = threading.Thread(target=first)
    holder.start()
    first_in.wait(10)
    big = threading.Thread(target=later, args=("oversized", 25))
    big.start()
    deadline = time.monotonic() + 10
    while budget.waits < 1 and time.monotonic() < deadline:
        with budget._changed:
            budget._changed.wait(timeout=0.05)
    small = threading.Thread(target=later, args=("small", 1))
    small.start()
    while budget.waits < 2 and time.monotonic() < deadline:
        with budget._changed:
            budget._changed.wait(timeout=0.05)
    # The small one would fit beside the first, but waits its turn behind the oversized one.
    assert order == []
    release_first.set()
    for thread in (holder, big, small):
        thread.join(10)

    assert order == ["first out", "oversized", "small"]
    assert budget.peak == 25 and budget.held == 0


def test_the_budget_is_the_functions_memory_less_a_margin():
    assert memory_budget.budget_bytes({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}) == 768 * MIB
    assert memory_budget.budget_bytes({}) == 768 * MIB  # outside Lambda: the flush's 1024 MB
    assert memory_budget.budget_bytes({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}) == MIB
