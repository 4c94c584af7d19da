"""A warm on_connect_event container reads the chat's transcript while it claims an agent's reply
(chalicelib/connection_hints.py, ordering.ReadAhead): one round trip before the send, the claim
and the order kept."""
import threading
from contextlib import contextmanager

import boto3
import botocore.client
import pytest

from chalicelib.connection_hints import ConnectionHints
from chalicelib.sessions import STATUS_CLOSED, STATUS_OPEN, Session
from tests.conftest import SESSIONS_TABLE, load_event, text_from_customer, with_messages
from tests.test_outbound import texts_sent

CLAIM = ("dynamodb", "UpdateItem")
TRANSCRIPT = ("connectparticipant", "GetTranscript")
SEND = ("socialmessaging", "SendWhatsAppMessage")
REPLY = "Hi, I'm Jordan. Let me look at your order."
# A bound on the wait below, reached only when the transcript is never asked for during the claim
# (the sequential path), so that such a test fails instead of hanging.
CLAIM_HELD_AT_MOST_SECONDS = 10


@contextmanager
def product_calls(hold_the_first_claim=False):
    """The product's AWS calls as they start and as their answers reach it, in that order:
    ("start" | "answer", service, operation). With `hold_the_first_claim`, the first claim's answer
    reaches the product only once a GetTranscript has started (or after the bound above): a read
    that waits for the claim can then not start before the claim is answered."""
    original = botocore.client.BaseClient._make_api_call
    events = []
    lock = threading.Lock()
    transcript_started = threading.Event()
    claims_seen = []

    def call(client, operation, params):
        key = (client.meta.service_model.service_name, operation)
        with lock:
            events.append(("start", *key))
        if key == TRANSCRIPT:
            transcript_started.set()
        try:
            return original(client, operation, params)
        finally:
            if key == CLAIM and hold_the_first_claim and not claims_seen:
                claims_seen.append(key)
                transcript_started.wait(CLAIM_HELD_AT_MOST_SECONDS)
            with lock:
                events.append(("answer", *key))

    botocore.client.BaseClient._make_api_call = call
    try:
        yield events
    finally:
        botocore.client.BaseClient._make_api_call = original


def agent_says(bridge, contact_id, content=REPLY):
    return bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT", content=content,
                                               display_name="Jordan")


def warm_container(bridge, contact_id):
    """Connect's echo of the customer's message reaches on_connect_event before the agent answers
    it, as in a real chat: the container reads the session, and with it the connection token."""
    bridge.connect_event(bridge.twin.customer_echo_event(contact_id))
    bridge.twin.clear_calls()


def index(events, kind, key):
    return events.index((kind, *key))


def calls(twin):
    return [(c["service"], c["operation"]) for c in twin.calls if c["service"] != "dynamodbstreams"]


def connection_token(contact_id):
    item = boto3.resource("dynamodb").Table(SESSIONS_TABLE).get_item(Key={"contactId": contact_id})
    return item["Item"]["connectionToken"]


@pytest.fixture
def contact_id(bridge):
    return bridge.open_chat()


def test_a_warm_container_asks_for_the_transcript_while_the_claim_is_taken(bridge, contact_id):
    warm_container(bridge, contact_id)

    with product_calls(hold_the_first_claim=True) as events:
        bridge.connect_event(agent_says(bridge, contact_id))

    assert texts_sent(bridge.twin) == [REPLY]
    # The transcript was asked for before the claim's answer came back, and the send waited for
    # both answers.
    assert index(events, "start", TRANSCRIPT) < index(events, "answer", CLAIM)
    assert index(events, "start", SEND) > max(index(events, "answer", CLAIM),
                                              index(events, "answer", TRANSCRIPT))
    (transcript,) = bridge.twin.calls_to(*TRANSCRIPT)
    assert (transcript["status"], transcript["params"]["ConnectionToken"]) == (
        200, connection_token(contact_id))


def test_a_cold_container_claims_first_and_reads_the_transcript_after(bridge, contact_id):
    with product_calls() as events:
        bridge.connect_event(agent_says(bridge, contact_id))

    assert texts_sent(bridge.twin) == [REPLY]
    assert [event[1:] for event in events if event[0] == "start"][:3] == [CLAIM, TRANSCRIPT, SEND]
    assert index(events, "start", TRANSCRIPT) > index(events, "answer", CLAIM)


def test_the_containers_own_reply_warms_it_for_the_next(bridge, contact_id):
    bridge.connect_event(agent_says(bridge, contact_id, "One moment, please."))

    with product_calls(hold_the_first_claim=True) as events:
        bridge.connect_event(agent_says(bridge, contact_id))

    assert texts_sent(bridge.twin) == ["One moment, please.", REPLY]
    assert index(events, "start", TRANSCRIPT) < index(events, "answer", CLAIM)


def test_a_token_renewed_elsewhere_is_refused_then_the_claimed_sessions_token_reads(bridge, contact_id):
    warm_container(bridge, contact_id)
    remembered = connection_token(contact_id)
    # The chat's connection expires; the customer's next text renews it in flush_buffer, another
    # function: this container still remembers the old token.
    bridge.twin.expire_connections(contact_id)
    bridge.deliver(with_messages(load_event("eum-text"), [
        text_from_customer("wamid.late", 1762999999, "Still waiting")]))
    renewed = connection_token(contact_id)
    assert renewed != remembered
    bridge.twin.clear_calls()

    bridge.connect_event(agent_says(bridge, contact_id))

    assert texts_sent(bridge.twin) == [REPLY]
    refused, read = bridge.twin.calls_to(*TRANSCRIPT)
    assert (refused["status"], refused["error"], refused["params"]["ConnectionToken"]) == (
        403, "AccessDeniedException", remembered)
    assert (read["status"], read["params"]["ConnectionToken"]) == (200, renewed)
    # No renewal of its own: the claimed session held the token flush_buffer renewed.
    assert bridge.twin.calls_to("connectparticipant", "CreateParticipantConnection") == []

    # The container now remembers the renewed token: the next reply reads once, ahead.
    bridge.twin.clear_calls()
    with product_calls(hold_the_first_claim=True) as events:
        bridge.connect_event(agent_says(bridge, contact_id, "Found it."))
    (ahead,) = bridge.twin.calls_to(*TRANSCRIPT)
    assert (ahead["status"], ahead["params"]["ConnectionToken"]) == (200, renewed)
    assert index(events, "start", TRANSCRIPT) < index(events, "answer", CLAIM)
    assert texts_sent(bridge.twin) == [REPLY, "Found it."]


def test_an_expired_token_is_renewed_once_and_the_reply_sent_once(bridge, contact_id):
    warm_container(bridge, contact_id)
    bridge.twin.expire_connections(contact_id)

    bridge.connect_event(agent_says(bridge, contact_id))

    assert texts_sent(bridge.twin) == [REPLY]
    # The token read ahead is the claimed session's: its refusal is not asked again, it is renewed.
    refused, read = bridge.twin.calls_to(*TRANSCRIPT)
    assert (refused["status"], read["status"]) == (403, 200)
    (renewal,) = bridge.twin.calls_to("connectparticipant", "CreateParticipantConnection")
    assert renewal["status"] == 200
    assert read["params"]["ConnectionToken"] == connection_token(contact_id)


def test_earlier_messages_still_go_first_when_the_transcript_was_read_ahead(bridge, contact_id):
    warm_container(bridge, contact_id)
    greeting = bridge.twin.connect_streaming_event(contact_id, participant_role="SYSTEM",
                                                   display_name="BOT", content="Hi, I'm the bot.")
    reply = agent_says(bridge, contact_id)

    bridge.connect_event(reply)
    bridge.connect_event(greeting)

    assert texts_sent(bridge.twin) == ["Hi, I'm the bot.", REPLY]
    # The greeting's own event: the container saw it sent, and reads nothing ahead of its claim.
    assert len(bridge.twin.calls_to(*TRANSCRIPT)) == 1


def test_a_refused_claim_discards_what_was_read_ahead(bridge, contact_id):
    """Another container sent the reply; this one knows the chat, not that the reply went."""
    import app as app_module

    reply = agent_says(bridge, contact_id)
    bridge.connect_event(reply)
    app_module._caches.connection_hints.clear()
    warm_container(bridge, contact_id)

    bridge.connect_event(reply)

    assert texts_sent(bridge.twin) == [REPLY]
    # The claim refused (sent already), the transcript read ahead is not used: nothing else follows.
    assert sorted(calls(bridge.twin)) == sorted([CLAIM, TRANSCRIPT])


# --- the hints themselves ---

def session(contact_id, token="token-1", status=STATUS_OPEN):
    return Session.from_item({"contactId": contact_id, "conversationId": "c", "customerId": "1",
                              "systemNumber": "phone-number-id-1", "connectionToken": token,
                              "sessionStatus": status})


def test_hints_keep_the_chats_seen_last():
    hints = ConnectionHints(size=2)
    for contact_id in ("a", "b"):
        hints.learn(session(contact_id))
    assert hints.token("a", "m1") == "token-1"  # "a" is now the one seen last
    hints.learn(session("c"))

    assert [hints.token(c, "m1") for c in ("a", "b", "c")] == ["token-1", None, "token-1"]


def test_a_hint_follows_the_session_and_its_chat():
    hints = ConnectionHints()
    hints.learn(session("a"))
    hints.sent("a", "m1")
    hints.learn(session("a", token="token-2"))

    assert (hints.token("a", "m1"), hints.token("a", "m2")) == (None, "token-2")
    hints.learn(session("a", status=STATUS_CLOSED))
    assert hints.token("a", "m2") is None
