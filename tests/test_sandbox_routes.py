"""The local stage's test-event route, through pytest-chalice's HTTP client: a reference event
posted as is runs through the same handler Lambda would run."""
import json
import os

import pytest
from chalice import Chalice

from tests.conftest import load_event


@pytest.fixture(scope="module")
def app():
    """A Chalice app with only the sandbox's routes, as the local stage registers them (a
    blueprint registers once, hence one app for the module)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SANDBOX_POLL_BUFFER_STREAM", "no")
        patch.setenv("BRIDGE_ENV_FILE", os.devnull)
        from sandbox.routes import sandbox_routes

        local = Chalice(app_name="whatsapp-connect-chat-local")
        local.register_blueprint(sandbox_routes)
        yield local


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
