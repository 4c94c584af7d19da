"""The account's limits the twin enforces (issue 18, section 2): concurrent chats, StartChatContact's
rate, attachments per chat, the Participant Service's rate and WhatsApp's two rates, each through a
real boto3 client, with the exact code and status production answers.

The clients here make one attempt: botocore's standard mode would retry a 429 after sleeping, and
these tests move time only with the twin's clock. The rates are tiny (one token per 1000 s), so
the wall-clock milliseconds a test takes refill nothing."""
import functools
import json
import urllib.error

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.connect import DEFAULT_FLOW_ID, DEFAULT_INSTANCE_ID
from tests.emulator.conftest import client_factory, control
from tests.emulator.test_connect import start_chat

SLOW = (0.001, 2)  # two calls, then one more per 1000 s
PHONE = "phone-number-id-0123456789abcdef0123456789abcdef"
OTHER_PHONE = "phone-number-id-fedcba9876543210fedcba9876543210"
OTHER_INSTANCE = "0f6a1c2e-limits-test-instance"
DEFAULT_LIMITS = {
    "concurrent_chats": None,
    "start_chat_rate": None,
    "attachments_per_chat": 35,
    "participant_rate": None,
    "whatsapp_rate": None,
    "whatsapp_pair_rate": None,
}


@pytest.fixture(scope="module")
def one_attempt_clients(twin):
    return client_factory(twin, Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def aws(twin, one_attempt_clients):
    twin.reset()
    return one_attempt_clients


def refused(call, **params):
    """The error a call answers: (code, HTTP status, message)."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def connection_token(response):
    return response["ConnectionCredentials"]["ConnectionToken"]


def send_whatsapp(social, to="15550100001", phone=PHONE):
    message = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "Olá"}}
    return social.send_whatsapp_message(originationPhoneNumberId=phone, metaApiVersion="v20.0",
                                        message=json.dumps(message).encode())


def start_upload(participant, token, client_token):
    return participant.start_attachment_upload(ConnectionToken=token, ContentType="image/png",
                                               AttachmentSizeInBytes=3, AttachmentName="a.png",
                                               ClientToken=client_token)


# --- defaults and the control routes ----------------------------------------------------------------


def test_only_the_attachments_per_chat_are_limited_by_default_and_reset_restores_that(aws, twin):
    twin.set_limits(concurrent_chats=1, start_chat_rate=(5, 8), attachments_per_chat=None)

    assert twin.limits == DEFAULT_LIMITS | {"concurrent_chats": 1, "start_chat_rate": (5, 8),
                                            "attachments_per_chat": None}
    twin.reset()
    assert twin.limits == DEFAULT_LIMITS


def test_without_limits_chats_and_sends_are_not_counted(aws, twin):
    for _ in range(12):
        start_chat(aws("connect"))
    for _ in range(12):
        send_whatsapp(aws("socialmessaging"))

    assert twin.active_chats() == 12


def test_set_limits_refuses_unknown_names_and_bad_values(twin):
    with pytest.raises(TypeError):
        twin.set_limits(concurrent_calls=10)
    with pytest.raises(ValueError):
        twin.set_limits(start_chat_rate=5)
    with pytest.raises(ValueError):
        twin.set_limits(concurrent_chats=-1)


def test_the_control_routes_set_and_read_the_limits_and_count_active_chats(aws, twin):
    start_chat(aws("connect"))

    answered = control(twin, "POST", "/limits", {"concurrent_chats": 1, "whatsapp_rate": [80, 80]})

    assert answered == control(twin, "GET", "/limits")
    assert answered == DEFAULT_LIMITS | {"concurrent_chats": 1, "whatsapp_rate": [80, 80]}
    assert twin.limits["whatsapp_rate"] == (80, 80)
    assert control(twin, "GET", "/active-chats") == {"active_chats": 1}
    assert control(twin, "GET", f"/active-chats?instance_id={DEFAULT_INSTANCE_ID}") == {"active_chats": 1}
    assert control(twin, "GET", "/active-chats?instance_id=another") == {"active_chats": 0}
    with pytest.raises(urllib.error.HTTPError) as unknown:
        control(twin, "POST", "/limits", {"concurrent_calls": 1})
    with pytest.raises(urllib.error.HTTPError) as bad:
        control(twin, "POST", "/limits", {"participant_rate": [0, 1]})
    assert (unknown.value.code, bad.value.code) == (400, 400)
    control(twin, "POST", "/reset")
    assert control(twin, "GET", "/limits") == DEFAULT_LIMITS


# --- concurrent active chats per instance -----------------------------------------------------------


def test_a_full_instance_refuses_a_new_chat_with_limit_exceeded_429_and_logs_it(aws, twin):
    twin.set_limits(concurrent_chats=2)
    start_chat(aws("connect"))
    start_chat(aws("connect"))

    code, status, message = refused(start_chat, connect=aws("connect"))

    assert (code, status) == ("LimitExceededException", 429)
    assert "concurrent" in message and "rate" not in message.lower()
    assert twin.active_chats() == len(twin.contacts) == 2
    last = twin.calls_to("connect", "StartChatContact")[-1]
    assert (last["status"], last["error"]) == (429, "LimitExceededException")


def test_a_replayed_client_token_still_answers_when_the_instance_is_full(aws, twin):
    twin.set_limits(concurrent_chats=1)
    first = start_chat(aws("connect"), ClientToken="wamid-1")

    again = start_chat(aws("connect"), ClientToken="wamid-1")

    assert again["ContactId"] == first["ContactId"]
    assert refused(start_chat, connect=aws("connect"), ClientToken="wamid-2")[0] == "LimitExceededException"


def test_the_quota_counts_the_chats_of_each_instance_apart(aws, twin):
    twin.add_contact_flow(OTHER_INSTANCE, DEFAULT_FLOW_ID)
    twin.set_limits(concurrent_chats=1)
    start_chat(aws("connect"))

    aws("connect").start_chat_contact(InstanceId=OTHER_INSTANCE, ContactFlowId=DEFAULT_FLOW_ID,
                                      ParticipantDetails={"DisplayName": "Ana"})

    assert (twin.active_chats(DEFAULT_INSTANCE_ID), twin.active_chats(OTHER_INSTANCE)) == (1, 1)
    assert twin.active_chats() == 2


def test_a_chat_the_customer_leaves_frees_its_slot(aws, twin):
    twin.set_limits(concurrent_chats=1)
    chat = start_chat(aws("connect"))
    aws("connectparticipant").disconnect_participant(ConnectionToken=connection_token(chat))

    start_chat(aws("connect"))

    assert twin.active_chats() == 1


def test_a_chat_ended_on_the_agent_side_frees_its_slot(aws, twin):
    twin.set_limits(concurrent_chats=1)
    chat = start_chat(aws("connect"))
    twin.end_chat(chat["ContactId"])

    start_chat(aws("connect"))

    assert twin.active_chats() == 1


def test_a_chat_never_connected_within_5_minutes_frees_its_slot(aws, twin):
    twin.set_limits(concurrent_chats=1)
    start_chat(aws("connect"))
    assert refused(start_chat, connect=aws("connect"))[0] == "LimitExceededException"

    twin.advance_clock(5 * 60 + 1)

    assert twin.active_chats() == 0
    start_chat(aws("connect"))


# --- StartChatContact's rate ------------------------------------------------------------------------


def test_start_chat_over_its_rate_answers_too_many_requests_429_until_the_clock_moves(aws, twin):
    twin.set_limits(start_chat_rate=SLOW)
    start_chat(aws("connect"))
    start_chat(aws("connect"))

    code, status, message = refused(start_chat, connect=aws("connect"))

    assert (code, status) == ("TooManyRequestsException", 429)
    assert "rate" in message.lower() and "concurrent" not in message
    last = twin.calls_to("connect", "StartChatContact")[-1]
    assert (last["status"], last["error"]) == (429, "TooManyRequestsException")
    twin.advance_clock(1000)
    start_chat(aws("connect"))
    assert refused(start_chat, connect=aws("connect"))[0] == "TooManyRequestsException"


def test_a_replayed_start_is_a_request_and_counts_toward_the_rate(aws, twin):
    twin.set_limits(start_chat_rate=(0.001, 1))
    start_chat(aws("connect"), ClientToken="wamid-1")

    assert refused(start_chat, connect=aws("connect"), ClientToken="wamid-1")[0] == "TooManyRequestsException"


# --- attachments per chat ---------------------------------------------------------------------------


def test_the_36th_attachment_of_a_chat_answers_service_quota_exceeded_402(aws, twin):
    chat = start_chat(aws("connect"))
    participant, token = aws("connectparticipant"), connection_token(chat)
    for n in range(35):
        start_upload(participant, token, f"a{n}")

    code, status, message = refused(start_upload, participant=participant, token=token, client_token="a35")

    assert (code, status) == ("ServiceQuotaExceededException", 402)
    assert "attachments per contact exceeds the quota" in message
    last = twin.calls_to("connectparticipant", "StartAttachmentUpload")[-1]
    assert (last["status"], last["error"]) == (402, "ServiceQuotaExceededException")
    # A replay is the same attachment, not a 36th; another chat has its own 35.
    assert start_upload(participant, token, "a0")["AttachmentId"]
    other = start_chat(aws("connect"))
    assert start_upload(participant, connection_token(other), "b0")["AttachmentId"]


def test_the_agents_files_count_and_the_twin_can_change_or_lift_the_limit(aws, twin):
    twin.set_limits(attachments_per_chat=2)
    chat = start_chat(aws("connect"))
    participant, token = aws("connectparticipant"), connection_token(chat)
    twin.agent_attachment_event(chat["ContactId"], name="invoice.pdf", content_type="application/pdf",
                                data=b"%PDF")
    start_upload(participant, token, "a0")

    assert refused(start_upload, participant=participant, token=token, client_token="a1")[1] == 402
    twin.set_limits(attachments_per_chat=None)
    assert start_upload(participant, token, "a1")["AttachmentId"]


# --- the Participant Service's rate -----------------------------------------------------------------


def test_participant_calls_over_the_rate_answer_throttling_429_per_operation_until_the_clock_moves(
        aws, twin):
    twin.set_limits(participant_rate=SLOW)
    chat = start_chat(aws("connect"))
    participant, token = aws("connectparticipant"), connection_token(chat)
    # Marked connected, so the chat outlives the clock's move (the 5-minute rule).
    participant.create_participant_connection(ParticipantToken=chat["ParticipantToken"],
                                              Type=["CONNECTION_CREDENTIALS"], ConnectParticipant=True)
    send = functools.partial(participant.send_message, ConnectionToken=token, ContentType="text/plain",
                             Content="Oi")
    send()
    send()

    code, status, _ = refused(send)

    assert (code, status) == ("ThrottlingException", 429)
    last = twin.calls_to("connectparticipant", "SendMessage")[-1]
    assert (last["status"], last["error"]) == (429, "ThrottlingException")
    assert len(participant.get_transcript(ConnectionToken=token)["Transcript"]) == 2
    twin.advance_clock(1000)
    send()


def test_the_participant_rate_is_the_instances_not_the_chats(aws, twin):
    twin.set_limits(participant_rate=(0.001, 1))
    first, second = start_chat(aws("connect")), start_chat(aws("connect"))
    participant = aws("connectparticipant")
    participant.get_transcript(ConnectionToken=connection_token(first))

    code, _, _ = refused(participant.get_transcript, ConnectionToken=connection_token(second))

    assert code == "ThrottlingException"


@pytest.mark.parametrize("operation, params", [
    ("create_participant_connection", lambda chat, upload: {
        "ParticipantToken": chat["ParticipantToken"], "Type": ["CONNECTION_CREDENTIALS"]}),
    ("send_event", lambda chat, upload: {
        "ConnectionToken": connection_token(chat), "ContentType": "application/vnd.amazonaws.connect.event.typing"}),
    ("start_attachment_upload", lambda chat, upload: {
        "ConnectionToken": connection_token(chat), "ContentType": "image/png", "AttachmentSizeInBytes": 3,
        "AttachmentName": "b.png", "ClientToken": "b"}),
    ("complete_attachment_upload", lambda chat, upload: {
        "ConnectionToken": connection_token(chat), "AttachmentIds": [upload], "ClientToken": "c"}),
    ("get_attachment", lambda chat, upload: {"ConnectionToken": connection_token(chat), "AttachmentId": upload}),
    ("get_transcript", lambda chat, upload: {"ConnectionToken": connection_token(chat)}),
    ("disconnect_participant", lambda chat, upload: {"ConnectionToken": connection_token(chat)}),
])
def test_every_participant_operation_is_throttled(aws, twin, operation, params):
    chat = start_chat(aws("connect"))
    upload = start_upload(aws("connectparticipant"), connection_token(chat), "a")["AttachmentId"]
    twin.set_limits(participant_rate=(0.001, 1))
    call = functools.partial(getattr(aws("connectparticipant"), operation), **params(chat, upload))
    try:
        call()
    except ClientError as error:  # the rule the operation checks after the rate, not the rate
        assert error.response["Error"]["Code"] != "ThrottlingException"

    assert refused(call)[:2] == ("ThrottlingException", 429)


# --- WhatsApp's throughput and pair rate ------------------------------------------------------------


def test_sends_over_a_numbers_throughput_answer_throttled_request_429_with_metas_130429(aws, twin):
    twin.set_limits(whatsapp_rate=SLOW)
    social = aws("socialmessaging")
    send_whatsapp(social, to="15550100001")
    send_whatsapp(social, to="15550100002")

    code, status, message = refused(send_whatsapp, social=social, to="15550100003")

    assert (code, status) == ("ThrottledRequestException", 429)
    assert message.startswith("(#130429)")
    last = twin.calls_to("socialmessaging", "SendWhatsAppMessage")[-1]
    assert (last["status"], last["error"]) == (429, "ThrottledRequestException")
    assert len(twin.sent_whatsapp) == 2
    send_whatsapp(social, to="15550100003", phone=OTHER_PHONE)
    twin.advance_clock(1000)
    send_whatsapp(social, to="15550100003")


def test_sends_over_the_pair_rate_answer_throttled_request_429_with_metas_131056(aws, twin):
    twin.set_limits(whatsapp_pair_rate=(1 / 6, 1))
    social = aws("socialmessaging")
    send_whatsapp(social, to="15550100001")

    code, status, message = refused(send_whatsapp, social=social, to="+15550100001")

    assert (code, status) == ("ThrottledRequestException", 429)
    assert message.startswith("(#131056)")
    send_whatsapp(social, to="15550100002")
    social.send_whatsapp_message(originationPhoneNumberId=PHONE, metaApiVersion="v20.0", message=json.dumps(
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.abc"}).encode())
    twin.advance_clock(6)
    send_whatsapp(social, to="15550100001")
