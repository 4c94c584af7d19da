"""The twin's one clock, and the control routes a sandbox in another process uses."""
import time
from datetime import timezone

import pytest

from emulator.clock import Clock
from emulator.reference_events import REFERENCE_CLOCK_START
from tests.emulator.conftest import control

PHONE_ARN = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75"
WABA_ARN = "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415"


def test_a_clock_with_a_start_begins_there_runs_advances_and_resets_there():
    clock = Clock(REFERENCE_CLOCK_START)
    begun = clock.timestamp()

    clock.advance(3600)
    advanced = clock.timestamp()
    clock.reset()

    assert REFERENCE_CLOCK_START <= begun < REFERENCE_CLOCK_START + 5
    assert clock.now().tzinfo == timezone.utc
    assert 3600 <= advanced - begun < 3605
    assert REFERENCE_CLOCK_START <= clock.timestamp() < REFERENCE_CLOCK_START + 5


def test_a_clock_without_a_start_is_the_wall_clock_until_advanced():
    clock = Clock()

    assert abs(clock.timestamp() - time.time()) < 1
    clock.advance(60)
    assert 59 < clock.timestamp() - time.time() < 61
    clock.reset()
    assert abs(clock.timestamp() - time.time()) < 1


def test_connect_and_whatsapp_share_the_twins_clock_and_reset_puts_it_back(sdk, twin):
    twin.advance_clock(7200)

    assert twin.connect.clock is twin.social.clock is twin.clock
    assert 7199 < twin.clock.timestamp() - time.time() < 7201
    twin.reset()
    assert abs(twin.clock.timestamp() - time.time()) < 1


def test_control_routes_read_and_move_the_clock(sdk, twin):
    before = control(twin, "GET", "/clock")["now"]

    control(twin, "POST", "/clock", {"seconds": 86400})

    assert 86400 <= control(twin, "GET", "/clock")["now"] - before < 86405


def test_control_route_tells_the_twin_a_customer_wrote(sdk, twin):
    control(twin, "POST", "/whatsapp/customer-wrote",
            {"origination_id": PHONE_ARN, "wa_id": "15550100001", "timestamp": int(twin.clock.timestamp())})

    assert twin.social.window_open(PHONE_ARN, "15550100001")
    assert not twin.social.window_open(PHONE_ARN, "15550100002")


@pytest.mark.parametrize("waba", [WABA_ARN, "waba-7c2025cfddb055018df85097925ee415"])
def test_control_route_lists_an_accounts_template_definitions(sdk, twin, waba):
    definitions = control(twin, "GET", f"/whatsapp/templates?waba={waba}")

    assert [(d["name"], d["language"], d["status"]) for d in definitions][:2] == [
        ("order_update", "en_US", "APPROVED"), ("order_update", "pt_BR", "APPROVED")]
    assert definitions[0]["components"][1]["text"] == "Hi {{1}}, your order {{2}} has shipped and arrives {{3}}."
    assert len(definitions) == 6
