"""The sessions table: one open chat per conversation, what flush attempts set out to deliver, once-only
sends of agent messages."""
import boto3
import pytest

from chalicelib import claims, sessions
from chalicelib.tables import Table
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
def table(aws):
    return Table(boto3.client("dynamodb"), SESSIONS_TABLE)


def test_a_second_chat_cannot_claim_an_open_conversation(table):
    sessions.open_session(table, make_session("contact-1"))

    with pytest.raises(sessions.ConversationBusy):
        sessions.open_session(table, make_session("contact-2"))

    assert sessions.get(table, "contact-2") is None
    assert sessions.find_open(table, CONVERSATION_ID).contact_id == "contact-1"


def test_storing_the_same_session_again_is_a_no_op(table):
    sessions.open_session(table, make_session("contact-1"))
    sessions.open_session(table, make_session("contact-1"))

    assert sessions.find_open(table, CONVERSATION_ID).contact_id == "contact-1"


def test_closing_frees_the_conversation_and_remembers_the_chat(table):
    first = make_session("contact-1")
    sessions.open_session(table, first)
    sessions.close(table, first, now=5000)

    assert sessions.find_open(table, CONVERSATION_ID) is None
    closed = sessions.get(table, "contact-1")
    assert closed.status == sessions.STATUS_CLOSED
    assert closed.expires_at == 5000 + sessions.CLOSED_SESSION_GRACE_SECONDS
    assert closed.connection_token == "" and closed.participant_token == ""
    conversation = sessions.begin_delivery(table, CONVERSATION_ID, [], now=5001)
    assert conversation.open_session is None
    assert conversation.last_contact_id == "contact-1"

    sessions.open_session(table, make_session("contact-2", created_at=2000))
    assert sessions.find_open(table, CONVERSATION_ID).contact_id == "contact-2"


def test_closing_an_old_chat_leaves_the_newer_one_open(table):
    old, new = make_session("contact-1"), make_session("contact-2", created_at=2000)
    sessions.open_session(table, old)
    sessions.close(table, old, now=3000)
    sessions.open_session(table, new)

    sessions.close(table, old, now=4000)

    assert sessions.find_open(table, CONVERSATION_ID).contact_id == "contact-2"


def test_each_attempt_appends_its_block_and_learns_the_earlier_ones(table):
    first = sessions.begin_delivery(table, CONVERSATION_ID, ["k1", "k2"], now=1000)
    second = sessions.begin_delivery(table, CONVERSATION_ID, ["k1", "k2", "k3"],
                                     now=1001)

    assert first.earlier_blocks == () and first.open_session is None
    assert second.earlier_blocks == (("k1", "k2"),)

    sessions.record_delivered(table, CONVERSATION_ID, ["id1", "id2"], finished=True)
    third = sessions.begin_delivery(table, CONVERSATION_ID, ["k4"], now=1002)
    assert third.earlier_blocks == ()
    assert third.delivered_ids == ("id1", "id2")


def test_delivered_ids_are_bounded(table):
    ids = [f"wamid.{n}" for n in range(sessions.DELIVERED_IDS_KEPT + 50)]
    sessions.record_delivered(table, CONVERSATION_ID, ids, finished=False)

    conversation = sessions.begin_delivery(table, CONVERSATION_ID, [], now=1)
    assert conversation.delivered_ids == tuple(ids[-sessions.DELIVERED_IDS_KEPT:])


def test_a_renewed_token_reaches_the_conversations_copy(table):
    session = make_session("contact-1")
    sessions.open_session(table, session)

    sessions.replace_connection(table, session, "new-token", "2026-12-01T00:00:00Z")

    assert sessions.get(table, "contact-1").connection_token == "new-token"
    assert sessions.find_open(table, CONVERSATION_ID).connection_token == "new-token"


def test_a_claim_reads_the_session_and_blocks_a_second_claim_until_its_lock_expires(table):
    sessions.open_session(table, make_session("contact-1"))

    claimed = claims.claim(table, "contact-1", "message-1", lock_seconds=120, now=1000)
    assert claimed.session.system_number == PHONE_NUMBER_ARN and claimed.steps_done == 0
    with pytest.raises(claims.ClaimInProgress):
        claims.claim(table, "contact-1", "message-1", lock_seconds=120, now=1060)
    # A dead worker's claim is taken over once its lock has expired.
    retaken = claims.claim(table, "contact-1", "message-1", lock_seconds=120, now=1200)
    claims.complete(table, retaken, {"wamid.out.1": "Hello"})

    with pytest.raises(claims.AlreadySent):
        claims.claim(table, "contact-1", "message-1", lock_seconds=120, now=9999)
    stored = sessions.get(table, "contact-1")
    assert stored.sent_snippets == {"wamid.out.1": "Hello"}


def test_a_claim_for_an_unknown_contact_says_so(table):
    with pytest.raises(claims.UnknownSession):
        claims.claim(table, "nobody", "message-1", lock_seconds=120, now=1000)
    assert sessions.get(table, "nobody") is None


def test_sent_snippets_are_bounded(table):
    sessions.open_session(table, make_session("contact-1"))
    for n in range(sessions.SENT_SNIPPETS_KEPT + 5):
        claimed = claims.claim(table, "contact-1", f"m{n}", lock_seconds=120, now=n)
        claims.complete(table, claimed, {f"wamid.out.{n}": f"text {n}"})

    snippets = sessions.get(table, "contact-1").sent_snippets
    assert len(snippets) == sessions.SENT_SNIPPETS_KEPT
    assert f"wamid.out.{sessions.SENT_SNIPPETS_KEPT + 4}" in snippets and "wamid.out.0" not in snippets


def test_the_connect_message_of_each_sent_id_is_kept_as_long_as_its_snippet(table):
    sessions.open_session(table, make_session("contact-1"))
    for n in range(sessions.SENT_SNIPPETS_KEPT + 5):
        claimed = claims.claim(table, "contact-1", f"m{n}", lock_seconds=120, now=n)
        claims.complete(table, claimed, {f"wamid.out.{n}.a": "part", f"wamid.out.{n}.b": "part"})

    stored = sessions.get(table, "contact-1")
    assert len(stored.sent_messages) == sessions.SENT_SNIPPETS_KEPT
    last = sessions.SENT_SNIPPETS_KEPT + 4
    assert stored.sent_messages[f"wamid.out.{last}.a"] == stored.sent_messages[f"wamid.out.{last}.b"] == f"m{last}"


def test_a_session_stored_before_the_map_gets_it_with_its_next_send(table):
    sessions.open_session(table, make_session("contact-1"))
    boto3.resource("dynamodb").Table(SESSIONS_TABLE).update_item(
        Key={"contactId": "contact-1"}, UpdateExpression="REMOVE sentMessages")
    assert sessions.get(table, "contact-1").sent_messages is None

    claimed = claims.claim(table, "contact-1", "m1", lock_seconds=120, now=1)
    claims.complete(table, claimed, {"wamid.out.1": "Hello"})

    assert sessions.get(table, "contact-1").sent_messages == {"wamid.out.1": "m1"}


def test_a_released_claim_resumes_after_its_completed_steps(table):
    sessions.open_session(table, make_session("contact-1"))
    claimed = claims.claim(table, "contact-1", "message-2", lock_seconds=120, now=1000)
    walked = []
    with pytest.raises(RuntimeError):
        for step in claims.Steps(table, claimed).pending(["a", "b", "c"]):
            walked.append(step)
            if step == "b":
                raise RuntimeError("send failed")
    claims.release(table, claimed)

    retry = claims.claim(table, "contact-1", "message-2", lock_seconds=120, now=1001)
    assert walked == ["a", "b"]
    assert retry.steps_done == 1
    assert list(claims.Steps(table, retry).pending(["a", "b", "c"])) == ["b", "c"]


def test_a_campaign_waits_a_week_unless_a_chat_opened_meanwhile(table):
    campaign = {"templateName": "welcome_back", "whatsappMessageId": "wamid.t", "sentAt": 1000}
    assert sessions.remember_campaign(table, CONVERSATION_ID, campaign, 1000)
    conversation = sessions.get_conversation(table, CONVERSATION_ID)
    assert conversation.campaign == campaign
    item = boto3.resource("dynamodb").Table(SESSIONS_TABLE).get_item(
        Key={"contactId": sessions.conversation_key(CONVERSATION_ID)})["Item"]
    assert item["expiresAt"] == 1000 + 7 * 24 * 3600

    sessions.open_session(table, make_session("contact-1"))
    assert sessions.get_conversation(table, CONVERSATION_ID).campaign is None
    assert not sessions.remember_campaign(table, CONVERSATION_ID, campaign, 2000)
    assert sessions.get_conversation(table, CONVERSATION_ID).campaign is None
