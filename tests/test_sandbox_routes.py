"""The local stage's test-event route, through pytest-chalice's HTTP client: a reference event
posted as is runs through the same handler Lambda would run."""
import datetime
import importlib.util
import json
import os
import threading
import time

import boto3
import pytest

from chalicelib.config import DEFAULT_BUSY_MESSAGE
from emulator.reference_events import status_of_sent

from tests.conftest import CONTACT_FLOW_ID, INSTANCE_ID, ROOT, load_event

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
    local_stage._caches.clear()
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


def test_start_conversation_is_invoked_by_name_as_chalice_invoke_would(client, bridge):
    response = client.post("/sandbox/invoke/start_conversation",
                           headers={"Content-Type": "application/json"}, body=json.dumps({
                               "customerNumber": "+15550100001", "templateName": "welcome_back",
                               "phoneNumberId": "phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75"}))

    assert response.status_code == 200
    assert response.json["function"] == "start_conversation"
    assert response.json["result"]["status"] == "sent"
    (sent,) = bridge.twin.sent_whatsapp
    assert sent["message"]["template"]["name"] == "welcome_back"


def test_something_that_is_no_lambda_event_is_refused(client, bridge):
    response = post_event(client, {"hello": "world"})

    assert response.status_code == 400
    assert bridge.twin.calls == []


# --- the page's phone and agent console, against the twin ------------------------------------

LONG_TITLE = "Change the delivery address of my order"  # longer than a WhatsApp row title (24)


@pytest.fixture
def page(client, bridge, local_stage, monkeypatch):
    """The page's routes aimed at this test's twin, with a fresh phone and sandbox clock; a chat
    opened by the customer's first message. The test twin does not publish streaming: the agent's
    routes answer with the event Connect streams, which `streams` hands to on_connect_event as the
    streaming topic would."""
    import sandbox.routes
    from sandbox.phone import PhoneTimeline

    monkeypatch.setenv("SANDBOX_EMULATOR_URL", bridge.twin.emulator_url)
    monkeypatch.setattr(sandbox.routes, "PHONE", PhoneTimeline())
    monkeypatch.setattr(sandbox.routes.CLOCK, "offset", 0.0)  # the calls per hop read this clock too
    monkeypatch.setattr(local_stage, "runtime", local_stage.runtime)  # the sandbox rebinds it
    answer = client.post("/sandbox/api/phone/send", headers={"Content-Type": "application/json"},
                         body=json.dumps({"text": "Hi, my parcel is late"}))
    assert answer.status_code == 200, answer.json
    bridge.flush()
    (contact_id,) = bridge.twin.contacts
    return Page(client, bridge, contact_id)


class Page:
    def __init__(self, client, bridge, contact_id):
        self.client, self.bridge, self.contact_id = client, bridge, contact_id
        self.twin = bridge.twin

    def post(self, path, body=None):
        return self.client.post(path, headers={"Content-Type": "application/json"},
                                body=json.dumps(body or {}))

    def state(self):
        return self.client.get("/sandbox/api/state").json

    def agent(self, action, body=None):
        """An agent console route; what Connect streams for it reaches on_connect_event."""
        answer = self.post(f"/sandbox/api/agent/{self.contact_id}/{action}", body)
        assert answer.status_code == 200, answer.json
        self.streams(answer.json)
        return answer

    def streams(self, event):
        self.bridge.connect_event(event)
        return self.bridge.twin.contacts[self.contact_id]["transcript"][-1]


def test_the_console_sends_the_agents_reply_as_markdown(page):
    page.agent("message", {"text": "**Sorry** about that"})

    item = page.bridge.twin.contacts[page.contact_id]["transcript"][-1]
    assert (item["ParticipantRole"], item["ContentType"], item["Content"]) == (
        "AGENT", "text/markdown", "**Sorry** about that")
    (sent,) = [m["message"] for m in page.bridge.twin.sent_whatsapp if m["message"].get("type") == "text"]
    assert sent["text"]["body"] == "*Sorry* about that"


def test_the_phone_reports_each_status_of_an_agent_message_and_the_agent_sees_the_receipts(page):
    page.agent("message", {"text": "**Sorry** about that"})
    reply = page.bridge.twin.contacts[page.contact_id]["transcript"][-1]
    (shown,) = [i for i in page.state()["phone"] if i["from"] == "business"]
    assert (shown["text"], shown["status"]) == ("*Sorry* about that", "")
    page.bridge.twin.clear_calls()

    answer = page.post("/sandbox/api/phone/status", {"message_id": shown["id"], "status": "read"})
    again = page.post("/sandbox/api/phone/status", {"message_id": shown["id"], "status": "delivered"})

    # Sent, delivered and read, in order, each a webhook through on_whatsapp_event; "sent" is no
    # receipt in Connect, the other two are, on the agent's message.
    assert answer.json["statuses"] == ["sent", "delivered", "read"]
    assert again.json["statuses"] == []
    events = [(c["params"]["ContentType"], json.loads(c["params"]["Content"]))
              for c in page.bridge.twin.calls_to("connectparticipant", "SendEvent")]
    assert events == [("application/vnd.amazonaws.connect.event.message.delivered", {"messageId": reply["Id"]}),
                      ("application/vnd.amazonaws.connect.event.message.read", {"messageId": reply["Id"]})]
    (chat,) = page.state()["chats"]
    (agent_message,) = [i for i in chat["items"] if i["ParticipantRole"] == "AGENT"]
    assert (agent_message["Delivered"], agent_message["Read"]) == (True, True)
    assert [i["status"] for i in page.state()["phone"] if i["from"] == "business"] == ["read"]


def test_the_agent_reads_and_types_the_phone_shows_blue_ticks_and_typing(page):
    (customer_item,) = [i for i in page.bridge.twin.contacts[page.contact_id]["transcript"]
                        if i.get("ParticipantRole") == "CUSTOMER"]
    # The opening message's Connect id is learned from Connect's echo of it.
    page.bridge.connect_event(page.bridge.twin.customer_echo_event(page.contact_id))
    (own,) = page.state()["phone"]
    assert own["status"] == "delivered"  # taken by the bridge, not read by anyone yet

    read = page.agent("read", {"message_id": customer_item["Id"]})
    (own,) = page.state()["phone"]

    assert read.json["Records"][0]["Sns"]["MessageAttributes"]["ContentType"]["Value"] == (
        "application/vnd.amazonaws.connect.event.message.read")
    assert own["status"] == "read"
    (chat,) = page.state()["chats"]
    assert [i["Read"] for i in chat["items"] if i["ParticipantRole"] == "CUSTOMER"] == [True]

    page.agent("typing")
    assert page.state()["typing"] is True
    page.agent("message", {"text": "On it"})
    assert page.state()["typing"] is False
    # The indicator the phone showed is the one WhatsApp payload that shows it.
    (indicator,) = [m["message"] for m in page.bridge.twin.sent_whatsapp if "typing_indicator" in m["message"]]
    assert indicator == {"messaging_product": "whatsapp", "status": "read", "message_id": own["id"],
                         "typing_indicator": {"type": "text"}}


def test_a_tapped_list_row_reaches_the_chat_as_the_options_full_title(page):
    content = json.dumps({"templateType": "ListPicker", "version": "1.0", "data": {"content": {
        "title": "How can we help you today?",
        "elements": [{"title": "Order status"}, {"title": LONG_TITLE}]}}})
    page.streams(page.bridge.twin.connect_streaming_event(
        page.contact_id, participant_role="CUSTOM_BOT", content=content,
        content_type="application/vnd.amazonaws.connect.message.interactive"))
    (shown,) = [i for i in page.state()["phone"] if i["from"] == "business"]
    rows = shown["interactive"]["action"]["sections"][0]["rows"]
    assert rows[1]["title"] == LONG_TITLE[:23] + "…"  # what WhatsApp shows, and sends back
    page.bridge.twin.clear_calls()

    answer = page.post("/sandbox/api/phone/send", {"reply_to": shown["id"], "option_id": rows[1]["id"]})
    unknown = page.post("/sandbox/api/phone/send", {"reply_to": shown["id"], "option_id": "connect:9:x"})
    page.bridge.flush()

    assert answer.status_code == 200
    assert unknown.status_code == 400
    (sent,) = page.bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert sent["params"]["Content"] == LONG_TITLE
    own = page.state()["phone"][-1]
    assert (own["from"], own["kind"], own["text"], own["quote"]) == (
        "customer", "interactive", rows[1]["title"], "How can we help you today?")


def test_the_bots_list_picker_is_the_reference_events_content_sent_as_the_bot(page):
    page.agent("bot-listpicker")

    item = page.bridge.twin.contacts[page.contact_id]["transcript"][-1]
    reference = json.loads(load_event("connect-interactive-listpicker")["Records"][0]["Sns"]["Message"])
    assert (item["ParticipantRole"], item["ContentType"], item["Content"]) == (
        "CUSTOM_BOT", "application/vnd.amazonaws.connect.message.interactive", reference["Content"])


def test_a_tapped_reply_button_reaches_the_chat_as_its_title(page):
    quick_reply = json.loads(load_event("connect-interactive-quickreply")["Records"][0]["Sns"]["Message"])
    page.streams(page.bridge.twin.connect_streaming_event(
        page.contact_id, participant_role="CUSTOM_BOT", content=quick_reply["Content"],
        content_type="application/vnd.amazonaws.connect.message.interactive"))
    (shown,) = [i for i in page.state()["phone"] if i["from"] == "business"]
    buttons = [b["reply"] for b in shown["interactive"]["action"]["buttons"]]
    assert [b["title"] for b in buttons] == ["Yes", "No"]
    page.bridge.twin.clear_calls()

    answer = page.post("/sandbox/api/phone/send", {"reply_to": shown["id"], "option_id": buttons[1]["id"]})
    page.bridge.flush()

    assert answer.status_code == 200
    (sent,) = page.bridge.twin.calls_to("connectparticipant", "SendMessage")
    assert sent["params"]["Content"] == "No"


# --- the 24-hour window and templates ------------------------------------------------------------

BUSINESS_ARN = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75"
CUSTOMER = "15550100001"
WABA_ARN = "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415"
DAY = 24 * 3600


def day_and_time(epoch):
    """"4 Dec 05:58 UTC": the day without a leading zero."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return f"{moment.day} {moment.strftime('%b %H:%M')} UTC"


def send_as_the_business(message):
    """A SendWhatsAppMessage as the bridge makes it (the product decides what to send; these
    tests are about what the phone then shows)."""
    social = boto3.client("socialmessaging")
    answer = social.send_whatsapp_message(
        originationPhoneNumberId=BUSINESS_ARN, metaApiVersion="v20.0",
        message=json.dumps({"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER}
                           | message).encode())
    return answer["messageId"]


def test_the_phones_message_tells_the_twin_when_the_customer_wrote(page):
    (own,) = page.state()["phone"]
    (chat,) = page.state()["chats"]
    wrote = int(page.twin.clock.timestamp())

    # Meta's window for free-form messages is open, and the bridge kept the same WhatsApp time.
    assert page.twin.social.window_open(BUSINESS_ARN, CUSTOMER)
    assert chat["window"]["state"] == "open"
    assert abs(chat["window"]["closesAt"] - (wrote + DAY)) <= 2
    assert chat["window"]["text"] == f"open, closes {day_and_time(chat['window']['closesAt'])}"
    assert own["status"] == "delivered"


def test_plus_24_hours_moves_the_twins_clock_and_the_products_and_the_window_closes(page, local_stage):
    before = page.twin.clock.timestamp()

    answer = page.post("/sandbox/api/clock", {"seconds": DAY})

    assert answer.status_code == 200
    assert before + DAY <= answer.json["now"] <= page.twin.clock.timestamp()
    assert page.twin.clock.timestamp() - before == pytest.approx(DAY, abs=5)
    # The product's handlers read the same moved time.
    assert local_stage.runtime().clock() == pytest.approx(page.twin.clock.timestamp(), abs=5)
    assert not page.twin.social.window_open(BUSINESS_ARN, CUSTOMER)
    state = page.state()
    (chat,) = state["chats"]
    assert chat["window"]["state"] == "closed"
    assert chat["window"]["text"] == (
        f"closed {day_and_time(chat['window']['closesAt'])}: only templates reach the customer")
    assert state["clock"]["now"] == pytest.approx(page.twin.clock.timestamp(), abs=5)


def test_the_windows_last_hour_is_a_warning_and_a_new_message_reopens_it(page):
    page.post("/sandbox/api/clock", {"seconds": DAY - 1800})
    (chat,) = page.state()["chats"]
    assert chat["window"]["state"] == "closing"

    answer = page.post("/sandbox/api/phone/send", {"text": "Still there?"})
    page.bridge.flush()

    assert answer.status_code == 200
    (chat,) = page.state()["chats"]
    assert chat["window"]["state"] == "open"
    assert chat["window"]["closesAt"] == pytest.approx(page.twin.clock.timestamp() + DAY, abs=5)


def test_the_clock_control_refuses_what_is_not_a_step_forward(page):
    before = page.twin.clock.timestamp()

    answers = [page.post("/sandbox/api/clock", {"seconds": seconds}) for seconds in (-60, 0, "a day")]

    assert [a.status_code for a in answers] == [400, 400, 400]
    assert page.twin.clock.timestamp() - before < 5


def test_a_template_shows_on_the_phone_as_its_rendered_header_body_and_footer(page):
    send_as_the_business({"type": "template", "template": {
        "name": "order_update", "language": {"code": "en_US"}, "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "Ana"}, {"type": "text", "text": "A-1001"},
            {"type": "text", "text": "tomorrow"}]}]}})

    shown = page.state()["phone"][-1]

    assert (shown["from"], shown["kind"]) == ("business", "template")
    assert shown["template"] == {
        "name": "order_update", "language": "en_US", "header": "Order update",
        "body": "Hi Ana, your order A-1001 has shipped and arrives tomorrow.",
        "footer": "Reply to this message to talk to us."}


def test_a_named_template_fills_its_placeholders_by_name(page):
    page.twin.social.add_template(WABA_ARN, {
        "name": "delivery_slot", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "parameter_format": "NAMED", "components": [
            {"type": "BODY", "text": "{{first_name}}, we come on {{day}}. See you, {{first_name}}!"}]})
    send_as_the_business({"type": "template", "template": {
        "name": "delivery_slot", "language": {"code": "en_US"}, "components": [{"type": "body", "parameters": [
            {"type": "text", "parameter_name": "day", "text": "Friday"},
            {"type": "text", "parameter_name": "first_name", "text": "Ana"}]}]}})

    shown = page.state()["phone"][-1]

    assert shown["template"]["body"] == "Ana, we come on Friday. See you, Ana!"
    assert {"name": "delivery_slot", "language": "en_US", "category": "UTILITY",
            "parameters": ["first_name", "day"]} in page.state()["templates"]


def test_a_send_meta_refuses_for_the_window_never_reaches_the_phone_its_failed_status_does(page, monkeypatch):
    import sandbox.routes

    page.post("/sandbox/api/clock", {"seconds": DAY + 60})
    handed = []
    run = sandbox.routes._run
    monkeypatch.setattr(sandbox.routes, "_run", lambda name, event: handed.append((name, event)) or run(name, event))
    message_id = send_as_the_business({"type": "text", "text": {"body": "Are you still there?"},
                                       "biz_opaque_callback_data": "chat-1|message-1"})

    phone = page.state()["phone"]
    page.state()  # a second poll reports nothing again

    assert [i["from"] for i in phone] == ["customer"]
    (refused,) = [r for r in page.twin.sent_whatsapp if r["messageId"] == message_id]
    (name, event), = handed
    status = json.loads(json.loads(event["Records"][0]["Sns"]["Message"])["whatsAppWebhookEntry"])
    status = status["changes"][0]["value"]["statuses"]
    expected = json.loads(json.loads(status_of_sent(refused, "failed")["Records"][0]["Sns"]["Message"])[
        "whatsAppWebhookEntry"])["changes"][0]["value"]["statuses"]
    assert name == "on_whatsapp_event"
    assert [{**s, "timestamp": ""} for s in status] == [{**s, "timestamp": ""} for s in expected]
    assert status[0]["errors"][0]["code"] == 131047
    assert status[0]["biz_opaque_callback_data"] == "chat-1|message-1"


def test_the_picker_offers_the_approved_templates_with_their_body_placeholders(page):
    assert page.state()["templates"] == [
        {"name": "appointment_reminder", "language": "en_US", "category": "UTILITY", "parameters": ["1", "2"]},
        {"name": "order_update", "language": "en_US", "category": "UTILITY", "parameters": ["1", "2", "3"]},
        {"name": "order_update", "language": "pt_BR", "category": "UTILITY", "parameters": ["1", "2", "3"]},
        {"name": "welcome_back", "language": "en_US", "category": "MARKETING", "parameters": []},
    ]


def test_the_picker_sends_the_agents_template_command_with_each_parameter_quoted(page):
    page.agent("template", {"name": "order_update", "language": "en_US",
                            "parameters": ["Ana Souza", 'the "blue" one', "tomorrow"]})

    (item,) = [i for i in page.twin.contacts[page.contact_id]["transcript"] if i.get("ParticipantRole") == "AGENT"]
    assert (item["ContentType"], item["Content"]) == (
        "text/markdown", '/template order_update en_US "Ana Souza" "the \\"blue\\" one" "tomorrow"')
    bad = page.post(f"/sandbox/api/agent/{page.contact_id}/template", {"name": "order_update", "parameters": [1]})
    assert bad.status_code == 400


# --- the contact centre's capacity and the waiting room ------------------------------------------

CONVERSATION = f"101996265140636#{CUSTOMER}"
OTHER_CUSTOMER = "15550100077"


def test_the_capacity_control_sets_and_clears_the_twins_concurrent_chats_limit(page):
    answer = page.post("/sandbox/api/capacity", {"limit": 3})

    assert answer.status_code == 200
    assert answer.json == {"active": 1, "limit": 3, "full": False, "text": "1 of 3 chats in use"}
    assert page.twin.limits["concurrent_chats"] == 3
    assert page.state()["capacity"] == answer.json

    off = page.post("/sandbox/api/capacity", {"limit": None})

    assert off.json == {"active": 1, "limit": None, "full": False, "text": "1 chat in use (no limit)"}
    assert page.twin.limits["concurrent_chats"] is None
    refused = [page.post("/sandbox/api/capacity", body)
               for body in ({"limit": -1}, {"limit": "2"}, {"limit": True}, {"limit": 1.5}, {})]
    assert [r.status_code for r in refused] == [400] * 5
    assert page.twin.limits["concurrent_chats"] is None


def test_filling_the_contact_centre_sets_the_limit_to_the_chats_open_now(page):
    answer = page.post("/sandbox/api/capacity/fill")

    assert answer.json == {"active": 1, "limit": 1, "full": True, "text": "1 of 1 chat in use"}
    assert page.twin.limits["concurrent_chats"] == 1
    assert page.client.get("/sandbox/api/capacity").json == answer.json


def wait_in_the_room(page, text="Is anyone there?"):
    """The agent ends the page's chat, the contact centre is filled (no chat open: a limit of 0),
    and the phone's customer writes again: the flush cannot open a chat, the conversation waits."""
    page.agent("end")  # its chat.ended reaches on_connect_event, which closes the session
    assert page.post("/sandbox/api/capacity/fill").json["limit"] == 0
    assert page.post("/sandbox/api/phone/send", {"text": text}).status_code == 200
    assert page.bridge.flush()["batchItemFailures"] == []


def business_texts(page):
    return [i.get("text") for i in page.state()["phone"] if i["from"] == "business"]


def test_a_customer_who_writes_while_the_contact_centre_is_full_is_listed_in_the_waiting_room(page):
    wait_in_the_room(page)
    now = page.twin.clock.timestamp()

    (row,) = page.client.get("/sandbox/api/waiting").json["waiting"]

    assert (row["conversationId"], row["customer"], row["number"]) == (CONVERSATION, "Ana Souza", "*******0001")
    assert (row["reason"], row["reasonText"], row["attempts"]) == ("capacity", "capacity: every chat in use", 1)
    assert now - 5 <= row["since"] <= now
    since = datetime.datetime.fromtimestamp(row["since"], datetime.UTC)
    assert row["sinceText"] == since.strftime("%a %d %b %Y, %H:%M:%S UTC")
    # Capacity is tried again busy_retry_seconds (30 by default) after the attempt.
    assert row["nextAttemptAt"] == row["since"] + 30
    assert (row["due"], row["dueText"][:3]) == (False, "in ")
    assert row["busyToldAt"] == row["since"] and row["busyText"].startswith("sent ")
    # The customer was told once, and Connect opened no chat.
    assert business_texts(page) == [DEFAULT_BUSY_MESSAGE]
    assert [c["status"] for c in page.twin.contacts.values()] == ["ENDED"]
    assert [r["conversationId"] for r in page.state()["waiting"]] == [CONVERSATION]


def another_customer_writes(page):
    """A customer of the same business number the phone does not play, through /sandbox/events."""
    event = json.loads(json.dumps(load_event("eum-text")).replace(CUSTOMER, OTHER_CUSTOMER)
                       .replace("Ana Souza", "Bruno Lima"))
    page.twin.customer_wrote(BUSINESS_ARN, OTHER_CUSTOMER, int(page.twin.clock.timestamp()))
    assert page.post("/sandbox/events", event).json["function"] == "on_whatsapp_event"
    page.bridge.flush()


def test_the_waiting_room_lists_the_oldest_wait_first_with_each_customers_whatsapp_name(page):
    wait_in_the_room(page)
    page.twin.advance_clock(5)
    another_customer_writes(page)

    rows = page.client.get("/sandbox/api/waiting").json["waiting"]

    assert [(r["customer"], r["number"]) for r in rows] == [("Ana Souza", "*******0001"),
                                                          ("Bruno Lima", "*******0077")]
    assert rows[0]["since"] < rows[1]["since"]


def test_retry_now_retries_at_once_and_lets_the_customer_in_once_capacity_is_freed(page):
    wait_in_the_room(page)
    before = page.twin.clock.timestamp()

    still_full = page.post("/sandbox/api/waiting/retry")
    page.bridge.flush()

    # Not due yet: the sandbox's time moved to the next attempt, and retry_waiting retried it.
    assert still_full.status_code == 200
    assert still_full.json["function"] == "retry_waiting"
    assert still_full.json["result"] == {"waiting": 1, "retried": 1}
    assert 1 <= still_full.json["movedSeconds"] <= 30
    assert page.twin.clock.timestamp() - before == pytest.approx(still_full.json["movedSeconds"], abs=3)
    (row,) = page.state()["waiting"]
    assert row["attempts"] == 2
    assert business_texts(page) == [DEFAULT_BUSY_MESSAGE]  # told once per wait

    assert page.post("/sandbox/api/capacity", {"limit": 1}).json["text"] == "0 of 1 chat in use"
    answer = page.post("/sandbox/api/waiting/retry")
    page.bridge.flush()

    assert answer.json["result"] == {"waiting": 1, "retried": 1}
    assert page.state()["waiting"] == []
    (chat,) = [c for c in page.state()["chats"] if c["status"] == "ACTIVE"]
    # The new chat's own items (the ended chat's, rehydrated, come as its history).
    assert [i["Content"] for i in chat["items"]
            if i["ParticipantRole"] == "CUSTOMER" and not i["History"]] == ["Is anyone there?"]
    assert page.state()["capacity"]["text"] == "1 of 1 chat in use"
    # retry_waiting is a hop of its own in the page's call log: the index, then the retry item.
    retry_calls = page.state()["calls"]["retry_waiting"]
    assert ("Query", "WaitingIndex") in [(c["operation"], c["summary"].split("IndexName=")[-1].split()[0])
                                         for c in retry_calls]
    assert "PutItem" in [c["operation"] for c in retry_calls]


def test_retry_now_with_nobody_waiting_runs_retry_waiting_and_leaves_the_clock(page):
    before = page.twin.clock.timestamp()

    answer = page.post("/sandbox/api/waiting/retry")

    assert answer.json["result"] == {"waiting": 0, "retried": 0}
    assert answer.json["movedSeconds"] == 0
    assert page.twin.clock.timestamp() - before < 5


# --- retry_waiting's schedule --------------------------------------------------------------------


def test_a_scheduled_event_goes_to_retry_waiting(client, bridge):
    from sandbox.events import scheduled_event

    event = scheduled_event("arn:aws:events:us-east-1:123456789012:rule/whatsapp-connect-chat-local-retry_waiting",
                            bridge.twin.clock.timestamp())

    by_shape = post_event(client, event)
    by_name = client.post("/sandbox/invoke/retry_waiting", headers={"Content-Type": "application/json"},
                          body=json.dumps(event))

    assert by_shape.json == by_name.json == {"function": "retry_waiting", "result": {"waiting": 0, "retried": 0}}
    assert event["detail-type"] == "Scheduled Event" and event["time"].endswith("Z")


def test_the_schedule_ticks_each_minute_of_the_sandboxs_time_and_once_after_a_jump():
    from sandbox.lambdas import Schedule

    now = [1000.0]
    runs = []
    schedule = Schedule(lambda: now[0], runs.append)  # not started: ticked by hand

    def at(moment):
        now[0] = moment
        return schedule.tick()

    # The first run comes a minute after the rule exists, then each minute.
    assert [at(t) for t in (1000, 1030, 1059.5, 1060, 1061, 1119, 1120)] == [
        False, False, False, True, False, False, True]
    # "+24 h" skips 1,440 ticks: one run at the new time, then the minute grid goes on.
    assert at(1120 + 86400 + 5) is True
    assert [at(t) for t in (1120 + 86400 + 30, 1120 + 86400 + 60)] == [False, True]
    assert runs == [1060, 1120, 1120 + 86400 + 5, 1120 + 86400 + 60]


def test_a_failing_tick_or_an_absent_clock_does_not_stop_the_schedule():
    from sandbox.lambdas import Schedule

    now = [0.0]

    def clock():
        if now[0] < 0:
            raise OSError("the twin is away")
        return now[0]

    def run(_):
        raise RuntimeError("retry_waiting failed")

    schedule = Schedule(clock, run)
    schedule.tick()
    now[0] = 60
    assert schedule.tick() is True
    assert schedule.last_error == "RuntimeError: retry_waiting failed"
    now[0] = -1
    assert schedule.tick() is False
    assert schedule.last_error.startswith("clock unavailable")
    now[0] = 120
    assert schedule.tick() is True


def test_the_schedule_runs_on_its_own_thread():
    from sandbox.lambdas import Schedule

    ran = threading.Event()
    schedule = Schedule(time.monotonic, lambda _: ran.set(), every_seconds=0.05, poll_seconds=0.01).start()
    try:
        assert ran.wait(10)
    finally:
        schedule.stop()
    schedule.thread.join(10)
    assert not schedule.thread.is_alive()


# --- what the console draws: the bridge's notes, a chat's history, the calls' times -------------


def test_the_bridges_notes_are_told_apart_from_what_the_customer_wrote(page):
    page.post("/sandbox/api/clock", {"seconds": DAY})
    page.agent("message", {"text": "Are you still there?"})

    (chat,) = page.state()["chats"]
    customer = [(i["Content"], i["NoteText"]) for i in chat["items"]
                if i["ParticipantRole"] == "CUSTOMER" and i["Type"] == "MESSAGE"]

    # In Connect the note is the customer participant's message, under the bridge's prefix.
    assert customer[0] == ("Hi, my parcel is late", None)
    (note_content, note_text) = customer[1]
    assert note_content.startswith("[WhatsApp bridge] ⛔ Not sent: WhatsApp's 24-hour window")
    assert note_text == note_content.removeprefix("[WhatsApp bridge] ")


def test_a_rehydrated_chats_past_items_are_marked_as_history(page):
    """The twin's Connect rehydrates an ended chat onto a new one (StartChatContact's
    PersistentChat); the past chat's items come marked, the new chat's own do not."""
    page.agent("message", {"text": "Your parcel arrives tomorrow."})
    page.agent("end")
    connect = boto3.client("connect")
    started = connect.start_chat_contact(
        InstanceId=INSTANCE_ID, ContactFlowId=CONTACT_FLOW_ID,
        ParticipantDetails={"DisplayName": "Ana Souza"},
        InitialMessage={"ContentType": "text/plain", "Content": "Hello again"},
        PersistentChat={"RehydrationType": "ENTIRE_PAST_SESSION", "SourceContactId": page.contact_id})

    chats = {chat["contactId"]: chat for chat in page.state()["chats"]}
    shown = [(i["Content"], i["History"]) for i in chats[started["ContactId"]]["items"]
             if i["Type"] == "MESSAGE"]

    assert shown == [("Hi, my parcel is late", True), ("Your parcel arrives tomorrow.", True),
                     ("Hello again", False)]
    assert not any(i["History"] for i in chats[page.contact_id]["items"])


def test_each_aws_call_is_shown_at_the_sandboxs_time_in_utc(page):
    answer = page.post("/sandbox/api/clock", {"seconds": DAY})
    page.post("/sandbox/api/phone/send", {"text": "Still there?"})

    newest = page.state()["calls"]["on_whatsapp_event"][0]

    # The message was taken a day after the first one, at the time the page's clock says.
    moved_now = answer.json["now"]
    assert (newest["service"], newest["operation"]) == ("dynamodb", "PutItem")
    assert 0 <= newest["time"] - moved_now < 60
    assert newest["timeText"] == datetime.datetime.fromtimestamp(newest["time"], datetime.UTC).strftime("%H:%M:%S")


def test_the_window_is_said_with_its_day():
    from sandbox.console import window_state

    wrote = datetime.datetime(2026, 12, 3, 5, 58, tzinfo=datetime.UTC).timestamp()

    assert window_state(wrote, wrote + 3600)["text"] == "open, closes 4 Dec 05:58 UTC"
    assert window_state(wrote, wrote + DAY)["text"] == "closed 4 Dec 05:58 UTC: only templates reach the customer"


def test_the_favicon_is_an_icon_not_a_refusal(client, local_stage):
    asked = client.get("/favicon.ico")
    icon = client.get("/sandbox/static/favicon.svg")

    assert asked.status_code == 204
    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.body.startswith("<svg")


# --- the live metrics: the bridge's EMF lines, added up ------------------------------------------


@pytest.fixture
def live_metrics(monkeypatch):
    """The panel's handler on the bridge's metrics logger, counting from zero for this test."""
    import logging

    import sandbox.routes
    from sandbox.live_metrics import LiveMetrics

    fresh = LiveMetrics().attach()
    monkeypatch.setattr(sandbox.routes, "METRICS", fresh)
    yield fresh
    logging.getLogger("whatsapp_connect_chat.metrics").removeHandler(fresh)


def emf(metrics, **dimensions):
    return json.dumps({"_aws": {"Timestamp": 1764741480000, "CloudWatchMetrics": [{
        "Namespace": "WhatsAppConnectBridge", "Dimensions": [list(dimensions), []],
        "Metrics": [{"Name": name, "Unit": "Milliseconds" if name.endswith("Latency") else "Count"}
                    for name in metrics]}]}} | dimensions | metrics)


def test_the_metrics_panel_adds_up_the_bridges_emf_lines(client, live_metrics):
    import logging

    logger = logging.getLogger("whatsapp_connect_chat.metrics")
    phone = {"PhoneNumberId": "phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75"}
    logger.info(emf({"InboundMessages": 2, "InboundLatency": [2100, 2300], "ChatsStarted": 1}, **phone))
    logger.info(emf({"OutboundMessages": 1, "OutboundLatency": [40]}, **phone))
    logger.info(emf({"WaitingConversations": 3}))
    logger.info(emf({"WaitingConversations": 1}))
    logger.info("not an EMF line")

    shown = client.get("/sandbox/api/metrics").json

    assert shown["totals"] == {"InboundMessages": 2, "OutboundMessages": 1, "ChatsStarted": 1,
                               "WaitingConversations": 1, "DeliveryFailures": 0, "WindowClosedRefusals": 0,
                               "TemplatesSent": 0}
    assert shown["latencies"] == {"InboundLatency": {"last": [2100, 2300], "median": 2200},
                                  "OutboundLatency": {"last": [40], "median": 40}}
    assert client.get("/sandbox/api/state").json["metrics"] == shown


def test_the_metrics_panel_counts_what_the_bridge_did(page, live_metrics):
    page.post("/sandbox/api/phone/send", {"text": "Is it shipped?"})
    page.bridge.flush()
    page.agent("message", {"text": "It is."})
    page.post("/sandbox/api/clock", {"seconds": DAY})
    page.agent("message", {"text": "Anything else?"})

    totals = page.state()["metrics"]["totals"]

    # The chat was open before (the page's first message): one message more in it, no new chat.
    assert (totals["InboundMessages"], totals["ChatsStarted"]) == (1, 0)
    assert totals["WindowClosedRefusals"] == 1

