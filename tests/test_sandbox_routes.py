"""The local stage's test-event route, through pytest-chalice's HTTP client: a reference event
posted as is runs through the same handler Lambda would run."""
import importlib.util
import json
import os

import pytest

from tests.conftest import ROOT, load_event

LOCAL_STAGE = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["local"]


@pytest.fixture(scope="module")
def local_stage():
    """app.py as `chalice local --stage local` loads it, with the local stage's environment: a copy
    of its own, so the other tests' app.py stays without routes (imported first, for that). One
    copy for the module: a Chalice blueprint's routes register on one app only."""
    import app  # noqa: F401

    with pytest.MonkeyPatch.context() as patch:
        for name, value in LOCAL_STAGE["environment_variables"].items():
            patch.setenv(name, value)
        patch.setenv("SANDBOX_POLL_BUFFER_STREAM", "no")
        patch.setenv("BRIDGE_ENV_FILE", os.devnull)
        spec = importlib.util.spec_from_file_location("app_of_the_local_stage", ROOT / "app.py")
        local = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(local)
    return local


@pytest.fixture
def app(local_stage, aws):
    """The local stage's app, as a fresh container: clients aimed at this test's account."""
    from chalicelib.runtime import Clients

    local_stage._clients = Clients()
    local_stage._settings.clear()
    local_stage._attachment_rules.clear()
    return local_stage.app


def post_event(client, event):
    return client.post("/sandbox/events", headers={"Content-Type": "application/json"},
                       body=json.dumps(event))


def test_reference_whatsapp_event_reaches_the_chat(client, bridge):
    response = post_event(client, load_event("eum-text"))

    assert response.status_code == 200
    assert response.json["function"] == "on_whatsapp_event"
    bridge.flush()
    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert start["params"]["InitialMessage"]["Content"] == "Hi, I need help with my order"


def test_reference_connect_event_runs_on_connect_event(client, bridge):
    response = post_event(client, load_event("connect-agent-text"))

    assert response.status_code == 200
    assert response.json["function"] == "on_connect_event"
    # No chat 21a81720-… exists in this account: the handler logs and drops it, sends nothing.
    assert bridge.twin.sent_whatsapp == []


def test_something_that_is_no_lambda_event_is_refused(client, bridge):
    response = post_event(client, {"hello": "world"})

    assert response.status_code == 400
    assert bridge.twin.calls == []
