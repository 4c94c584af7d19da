"""The sessions table module: one open chat per conversation, bounded memories, once-only records."""
import boto3
import pytest

from chalicelib import idempotency, sessions
from chalicelib.sessions import Session
from tests.conftest import CONVERSATION_ID, CUSTOMER_WA_ID, PHONE_NUMBER_ARN, SESSIONS_TABLE


def make_session(contact_id, created_at=1000):
    return Session(
        contact_id=contact_id, conversation_id=CONVERSATION_ID, customer_id=CUSTOMER_WA_ID,
        customer_wa_id=CUSTOMER_WA_ID, customer_user_id=None, name="Ana Souza",
        meta_phone_number_id="101996265140636", system_number=PHONE_NUMBER_ARN,
        display_phone_number="15550100100", instance_id="instance", participant_id="p",
        participant_token="pt", connection_token="ct", connection_expiry="2026-11-25T00:00:00Z",
        created_at=created_at, expires_at=created_at + 90000,
    )


@pytest.fixture
def dynamodb(aws):
    return boto3.client("dynamodb")


def test_a_second_chat_cannot_claim_an_open_conversation(dynamodb):
    sessions.open_session(dynamodb, SESSIONS_TABLE, make_session("contact-1"))

    with pytest.raises(sessions.ConversationBusy):
        sessions.open_session(dynamodb, SESSIONS_TABLE, make_session("contact-2"))

    assert sessions.get(dynamodb, SESSIONS_TABLE, "contact-2") is None
    found = sessions.find_open_consistent(dynamodb, SESSIONS_TABLE, CONVERSATION_ID)
    assert found.contact_id == "contact-1"


def test_closing_frees_the_conversation_and_hides_the_session_from_inbound(dynamodb):
    first = make_session("contact-1")
    sessions.open_session(dynamodb, SESSIONS_TABLE, first)
    sessions.close(dynamodb, SESSIONS_TABLE, first, now=5000)

    assert sessions.find_open(dynamodb, SESSIONS_TABLE, CONVERSATION_ID, CUSTOMER_WA_ID) is None
    closed = sessions.get(dynamodb, SESSIONS_TABLE, "contact-1")
    assert closed.status == "closed"
    assert closed.expires_at == 5000 + sessions.CLOSED_SESSION_GRACE_SECONDS
    assert closed.connection_token == "" and closed.participant_token == ""
    sessions.open_session(dynamodb, SESSIONS_TABLE, make_session("contact-2", created_at=2000))
    assert sessions.find_open(dynamodb, SESSIONS_TABLE, CONVERSATION_ID,
                              CUSTOMER_WA_ID).contact_id == "contact-2"


def test_closing_an_old_chat_leaves_a_newer_claim_alone(dynamodb):
    old, new = make_session("contact-1"), make_session("contact-2", created_at=2000)
    sessions.open_session(dynamodb, SESSIONS_TABLE, old)
    sessions.close(dynamodb, SESSIONS_TABLE, old)
    sessions.open_session(dynamodb, SESSIONS_TABLE, new)

    sessions.close(dynamodb, SESSIONS_TABLE, old)

    assert sessions.find_open_consistent(dynamodb, SESSIONS_TABLE, CONVERSATION_ID).contact_id == (
        "contact-2")


def test_delivered_ids_keep_only_the_newest_hundred(dynamodb):
    session = make_session("contact-1")
    sessions.open_session(dynamodb, SESSIONS_TABLE, session)
    for batch in range(11):
        session = sessions.record_delivered(dynamodb, SESSIONS_TABLE, session,
                                            [f"wamid.{batch}.{n}" for n in range(10)])

    stored = sessions.get(dynamodb, SESSIONS_TABLE, "contact-1").delivered_message_ids
    assert len(stored) == 100
    assert stored[0] == "wamid.1.0" and stored[-1] == "wamid.10.9"


def test_sent_snippets_keep_only_the_newest_twenty(dynamodb):
    session = make_session("contact-1")
    sessions.open_session(dynamodb, SESSIONS_TABLE, session)
    for n in range(25):
        sessions.record_sent(dynamodb, SESSIONS_TABLE, session, f"wamid.out.{n}", f"text {n}")
        session = sessions.get(dynamodb, SESSIONS_TABLE, "contact-1")

    assert len(session.sent_snippets) == 20
    assert session.sent_snippets["wamid.out.24"] == "text 24"
    assert "wamid.out.4" not in session.sent_snippets


def test_idempotency_claim_is_exclusive_until_released_or_expired(dynamodb):
    key = idempotency.record_key("outbound", "message-1")

    assert idempotency.claim(dynamodb, SESSIONS_TABLE, key, lock_seconds=120, now=1000) == 0
    assert idempotency.claim(dynamodb, SESSIONS_TABLE, key, lock_seconds=120, now=1060) is None
    # The first worker died: its claim expires and the retry takes over.
    assert idempotency.claim(dynamodb, SESSIONS_TABLE, key, lock_seconds=120, now=1200) == 0
    idempotency.complete(dynamodb, SESSIONS_TABLE, key)
    assert idempotency.claim(dynamodb, SESSIONS_TABLE, key, lock_seconds=120, now=9999) is None


def test_released_claim_can_be_taken_again_with_its_progress(dynamodb):
    key = idempotency.record_key("outbound", "message-2")
    idempotency.claim(dynamodb, SESSIONS_TABLE, key, lock_seconds=120, now=1000)
    sent = []
    with pytest.raises(ConnectionError):
        for step in idempotency.Steps(dynamodb, SESSIONS_TABLE, key, 0).pending(["a", "b", "c"]):
            if step == "b":
                raise ConnectionError("the attempt fails while sending b")
            sent.append(step)
    idempotency.release(dynamodb, SESSIONS_TABLE, key)

    done = idempotency.claim(dynamodb, SESSIONS_TABLE, key, lock_seconds=120, now=1001)
    assert sent == ["a"] and done == 1
    assert list(idempotency.Steps(dynamodb, SESSIONS_TABLE, key, done).pending(["a", "b", "c"])) == [
        "b", "c"]
