"""The local stage's routes: the sandbox's page, its test events and Connect streaming, one blueprint.

The local stage of .chalice/config.json names `sandbox_routes` in LOCAL_BLUEPRINTS, and app.py
registers what that lists; app.py names no sandbox module. The routes reach the handlers through
the blueprint's `current_app`, never by importing app.py: the sandbox depends on the app, never the
reverse.

- `GET /`: the sandbox page (a WhatsApp-like phone, an agent console, the AWS calls per hop).
- `POST /sandbox/events`: a raw test event (any file of events/, or an EventBridge
  Transcribe event) through the handler Lambda would run; `POST /sandbox/invoke/{name}` names it.
- `POST /sandbox/sns/connect`: the streaming topic's HTTP subscription, into `on_connect_event`.
- `/sandbox/api/...`: small JSON routes the page polls and posts to, among them the sandbox-only
  "+24 h" control (`POST /sandbox/api/clock`), which moves the twin's clock and the product's, the
  contact centre's capacity (the twin's concurrent chats limit) and the waiting room.

Lambda's event sources run here too: the buffer stream's poller feeds `flush_buffer`, and a
schedule runs `retry_waiting` each minute of the sandbox's time, as EventBridge's rule does.

Settings come from the .env file (`BRIDGE_ENV_FILE`, default `.env` in the project), loaded here
before any boto3 client exists; variables already in the environment win.
"""
from __future__ import annotations

import base64
import json
import logging
import math
import os
import threading
import time
import traceback
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response
from dotenv import load_dotenv

PROJECT_DIR = Path(__file__).resolve().parents[1]
ENV_FILE = Path(os.environ.get("BRIDGE_ENV_FILE") or PROJECT_DIR / ".env")
load_dotenv(ENV_FILE, override=False)

import boto3

from chalicelib import waiting
from chalicelib.tables import from_attributes
from chalicelib.logs import mask_identifier
from chalicelib.sessions import WAIT_ATTRIBUTES
from emulator.reference_events import load_event
from sandbox import console, events
from sandbox.clock import DAY_SECONDS, SandboxClock
from sandbox.lambdas import HANDLERS, RECORDER, Schedule, StreamPoller, invoke
from sandbox.live_metrics import LiveMetrics
from sandbox.phone import STATUSES, PhoneTimeline

logger = logging.getLogger("sandbox")
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
AGENT_NAME = "Jordan (agent)"
CALLS_PER_HOP = 12
WAITING_SHOWN = 50  # the waiting room lists the oldest this many
# The rule `chalice deploy` makes for retry_waiting (app name, stage, function name).
RETRY_RULE = "whatsapp-connect-chat-local-retry_waiting"

CLOCK = SandboxClock()
RECORDER.install(CLOCK)  # each call's time in the sandbox's time, as the page's clock shows it
METRICS = LiveMetrics().attach()
sandbox_routes = Blueprint(__name__)


def _emulator_url() -> str:
    """The twin's emulator (Connect, WhatsApp); empty when the stage runs against real AWS."""
    return os.environ.get("SANDBOX_EMULATOR_URL", "").rstrip("/")


def _stream_arn() -> str:
    arn = os.environ.get("BUFFER_TABLE_STREAM_ARN", "")
    if arn:
        return arn
    table = boto3.session.Session().client("dynamodb").describe_table(TableName=os.environ["BUFFER_TABLE"])
    return table["Table"]["LatestStreamArn"]


def _start_poller() -> StreamPoller | None:
    if os.environ.get("SANDBOX_POLL_BUFFER_STREAM", "yes").lower() in ("no", "0", "false"):
        return None
    if not os.environ.get("BUFFER_TABLE"):
        logger.warning("BUFFER_TABLE is not set: no stream poller, flush_buffer runs only from /sandbox/events")
        return None
    window = float(os.environ.get("BUFFER_SECONDS", "2"))
    return StreamPoller(_stream_arn, window, lambda event: _invoke("flush_buffer", event)).start()


POLLER = _start_poller()


# --- test events -------------------------------------------------------------------------------


@sandbox_routes.route("/sandbox/events", methods=["POST"])
def test_event() -> Response:
    """A raw Lambda event, run through the handler it is for (chosen from its shape)."""
    event = sandbox_routes.current_request.json_body
    try:
        name = events.handler_for(event if isinstance(event, dict) else {})
    except ValueError as error:
        return _json({"error": str(error)}, 400)
    return _run(name, event)


@sandbox_routes.route("/sandbox/invoke/{function_name}", methods=["POST"])
def invoke_named(function_name: str) -> Response:
    if function_name not in HANDLERS:
        return _json({"error": f"no handler {function_name}; one of {', '.join(HANDLERS)}"}, 404)
    return _run(function_name, sandbox_routes.current_request.json_body)


def _invoke(function_name: str, event: Any) -> Any:
    """The handler of the app this blueprint is registered to (looked up per call: the poller
    starts while app.py is still being imported), on the sandbox's clock."""
    handler_map = sandbox_routes.current_app.handler_map
    # Any event handler reaches app.py's namespace; a lambda_function's wrapper does not.
    clock_handler = handler_map.get(HANDLERS[0])
    if clock_handler is not None and CLOCK.install(clock_handler):
        _now()  # a chalice local restarted after "+24 h" takes up the twin's moved clock
    return invoke(handler_map, function_name, event)


def _now() -> float:
    """The sandbox's time: the twin's clock (what its WhatsApp measures the window with), which
    the product's clock follows; the wall clock against real AWS."""
    if _emulator_url():
        CLOCK.follow(_emulator("GET", "/_emulator/clock")["now"])
    return CLOCK()


def _run(function_name: str, event: Any) -> Response:
    try:
        result = _invoke(function_name, event)
    except Exception as error:  # noqa: BLE001 - reported to the caller, as Lambda reports it
        logger.error("%s raised:\n%s", function_name, traceback.format_exc())
        return _json({"function": function_name, "errorType": type(error).__name__,
                      "errorMessage": str(error)}, 500)
    return _json({"function": function_name, "result": result})


# retry_waiting has a reserved concurrency of 1: the schedule and "Retry now" run it one at a time.
RETRY_LOCK = threading.Lock()


def _retry_waiting(now: float) -> Any:
    """retry_waiting as EventBridge invokes it: its Scheduled Event, for a tick at `now`."""
    with RETRY_LOCK:
        return _invoke("retry_waiting", events.scheduled_event(_rule_arn(), now))


def _rule_arn() -> str:
    account = events.Phone.from_environ().inbound_topic_arn.split(":")[4]
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return f"arn:aws:events:{region}:{account}:rule/{RETRY_RULE}"


def _start_schedule() -> Schedule | None:
    """EventBridge's rate(1 minute) rule, in the sandbox's time. On and off with the stream poller:
    a deployed stack that reads the same table (SANDBOX_POLL_BUFFER_STREAM=no) has its own rule."""
    if POLLER is None:
        return None
    return Schedule(_now, _retry_waiting, name="retry-waiting-schedule").start()


SCHEDULE = _start_schedule()


@sandbox_routes.route("/sandbox/sns/connect", methods=["POST"],
                      content_types=["text/plain", "application/json"])
def connect_streaming_notification() -> Response:
    """The streaming topic's HTTP subscription: SNS posts each Connect item here."""
    notification = json.loads(sandbox_routes.current_request.raw_body)
    if notification.get("Type") != "Notification":
        return _json({"ignored": notification.get("Type")})
    # A 5xx makes SNS retry the delivery, as a failed asynchronous Lambda invocation is retried.
    return _run("on_connect_event", events.lambda_event_from_http_notification(notification))


@sandbox_routes.route("/sandbox/health", methods=["GET"])
def health() -> Response:
    return _json({"ok": True, "twin": bool(_emulator_url()),
                  "poller": POLLER is not None and POLLER.thread.is_alive(),
                  "schedule": SCHEDULE is not None and SCHEDULE.thread.is_alive()})


# --- the page ----------------------------------------------------------------------------------


@sandbox_routes.route("/", methods=["GET"])
def page() -> Response:
    return _static("index.html")


@sandbox_routes.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """Browsers ask for it whatever the page links (the page links its SVG icon): nothing here."""
    return Response("", status_code=204, headers={"Cache-Control": "max-age=86400"})


@sandbox_routes.route("/sandbox/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    return _static(name)


def _static(name: str) -> Response:
    path = STATIC_DIR / name
    if path.parent != STATIC_DIR or path.suffix not in STATIC_TYPES or not path.is_file():
        return _json({"error": "not found"}, 404)
    return Response(path.read_text(), headers={"Content-Type": STATIC_TYPES[path.suffix],
                                               "Cache-Control": "no-store"})


PHONE = PhoneTimeline()
JOINED: set[str] = set()


@sandbox_routes.route("/sandbox/api/state", methods=["GET"])
def state() -> Response:
    """Everything the page shows, in one poll."""
    phone = events.Phone.from_environ()
    twin = bool(_emulator_url())
    now = _now()
    chats: list[dict] = []
    templates: list[dict] = []
    if twin:
        templates = _emulator("GET", f"/_emulator/whatsapp/templates?waba={quote(phone.waba_arn, safe='')}")
        refused = PHONE.sync(_emulator("GET", "/_emulator/whatsapp/sent"), phone.customer_wa_id,
                             lambda: templates)
        for record in refused:
            # Meta accepted the send and will not deliver it: the failed status it sends instead.
            _run("on_whatsapp_event", events.status_event(phone, events.failed_status(record, now), now))
        chats = [_chat(contact, now) for contact in reversed(list(_emulator("GET", "/_emulator/contacts").values()))]
    calls: dict[str, list[dict]] = {}
    for call in reversed(RECORDER.calls()):
        hop_calls = calls.setdefault(call["hop"], [])
        if len(hop_calls) < CALLS_PER_HOP:
            hop_calls.append(call | {"timeText": console.time_of_day(call["time"])})
    return _json({
        "twin": twin,
        "customer": {"wa_id": phone.customer_wa_id, "name": phone.customer_name,
                     "business": phone.display_phone_number},
        "phone": PHONE.items(),
        "typing": PHONE.typing(),
        "chats": chats,
        "templates": console.template_choices(templates),
        "clock": {"now": now, "text": console.moment_text(now)},
        "calls": calls,
        "poller": {"running": POLLER is not None and POLLER.thread.is_alive(),
                   "error": POLLER.last_error if POLLER else ""},
        "capacity": _capacity() if twin else None,
        "waiting": _waiting_room(now),
        "schedule": _schedule_state(),
        "metrics": METRICS.snapshot(),
    })


@sandbox_routes.route("/sandbox/api/metrics", methods=["GET"])
def live_metrics() -> Response:
    """The bridge's metrics as its EMF lines in this process add up (also in the state)."""
    return _json(METRICS.snapshot())


def _chat(contact: dict, now: float) -> dict:
    items = []
    for item in contact["transcript"]:
        content_type = item.get("ContentType", "")
        if item["Type"] == "EVENT" and content_type.endswith((".typing", ".delivered", ".read")):
            continue
        shown = {key: item.get(key) for key in (
            "Id", "Type", "ContentType", "Content", "ParticipantRole", "DisplayName",
            "AbsoluteTime", "Attachments")}
        # The receipts Connect keeps on the message (GetTranscript's MessageMetadata): for an
        # agent's message, the customer's side (the bridge's SendEvent); for a customer's, the agent's.
        receipts = (item.get("MessageMetadata") or {}).get("Receipts") or []
        shown["Delivered"] = any(r.get("DeliveredTimestamp") or r.get("ReadTimestamp") for r in receipts)
        shown["Read"] = any(r.get("ReadTimestamp") for r in receipts)
        shown["NoteText"] = console.bridge_note_text(item)
        # A rehydrated chat's past items name the contact they were sent on as RelatedContactId
        # ("only populated for persistent chats when the transcript item is from the past chat
        # session", connectparticipant's Item); this chat's own items carry ContactId instead.
        shown["History"] = bool(item.get("RelatedContactId"))
        items.append(shown)
    active = contact["status"] == "ACTIVE"
    return {"contactId": contact["contact_id"], "customer": contact["display_name"],
            "status": contact["status"], "items": items,
            "window": console.window_state(_customer_wrote_at(contact["contact_id"]), now) if active else None}


def _customer_wrote_at(contact_id: str) -> float:
    """The chat's session's `customerWroteAt` (0 when the session has none)."""
    item = _sessions_reader().get_item(
        TableName=os.environ["SESSIONS_TABLE"], Key={"contactId": {"S": contact_id}},
        ProjectionExpression="customerWroteAt", ConsistentRead=True).get("Item") or {}
    return float(item.get("customerWroteAt", {}).get("N", 0))


@cache
def _sessions_reader() -> Any:
    # Its own session: the page's reads are not the bridge's calls, and the per-hop list shows
    # only those (sandbox/lambdas.py records boto3's default session).
    return boto3.session.Session().client("dynamodb")


@sandbox_routes.route("/sandbox/api/phone/send", methods=["POST"])
def phone_send() -> Response:
    """The customer sends a text or a file: End User Messaging Social's event, through
    `on_whatsapp_event`, exactly as the inbound topic's subscription would deliver it."""
    body = sandbox_routes.current_request.json_body or {}
    phone = events.Phone.from_environ()
    upload = body.get("file")
    if upload:
        if not _emulator_url():
            return _json({"error": "files need the twin: WhatsApp media ids cannot be made up"}, 400)
        data = base64.b64decode(upload["data_base64"])
        mime_type = upload.get("mime") or "application/octet-stream"
        if mime_type == "audio/ogg" or upload.get("name", "").endswith((".ogg", ".opus")):
            mime_type = "audio/ogg; codecs=opus"  # what WhatsApp reports for a voice note
        kind = events.media_kind(mime_type)
        media_id = events.new_media_id()
        _emulator("POST", "/_emulator/whatsapp/media", {
            "media_id": media_id, "data_base64": upload["data_base64"], "mime_type": mime_type})
        if kind == "audio" and body.get("transcript"):
            _emulator("POST", "/_emulator/transcripts",
                      {"data_base64": upload["data_base64"], "text": body["transcript"]})
        content = events.media_message(kind, media_id, data, mime_type,
                                       filename=upload.get("name", ""), caption=body.get("text", ""))
        item = {"kind": kind, "media_id": media_id, "filename": upload.get("name", ""),
                "text": body.get("text", "")}
    elif body.get("reply_to"):
        # A tap on a list row or a reply button: WhatsApp sends the option's id and shown title.
        replied = PHONE.business_message(body["reply_to"])
        content = events.interactive_reply((replied or {}).get("interactive") or {}, body.get("option_id", ""))
        if content is None:
            return _json({"error": "that message has no such option"}, 400)
        kind = "interactive"
        chosen = content[content["type"]]
        item = {"kind": "interactive", "text": chosen["title"], "quote": replied.get("text", "")}
    else:
        text = (body.get("text") or "").strip()
        if not text:
            return _json({"error": "nothing to send"}, 400)
        kind, content = "text", {"body": text}
        item = {"kind": "text", "text": text}
    now = _now()
    message = events.customer_message(phone, kind, content, now, replying_to=body.get("reply_to", ""))
    PHONE.add_own(item | {"id": message["id"], "from": "customer", "time": time.time(), "status": "sent"})
    if _emulator_url():
        # Meta knows when the customer wrote: its 24-hour window for this number opens now.
        _emulator("POST", "/_emulator/whatsapp/customer-wrote", {
            "origination_id": phone.business_arn, "wa_id": phone.customer_wa_id, "timestamp": int(now)})
    response = _run("on_whatsapp_event", events.whatsapp_event(phone, message, now))
    if response.status_code == 200:
        PHONE.mark_delivered(message["id"])
    return response


@sandbox_routes.route("/sandbox/api/phone/status", methods=["POST"])
def phone_status() -> Response:
    """The customer's phone got (`delivered`) or showed (`read`) a business message: the status
    webhooks WhatsApp publishes for it, each step in order, through `on_whatsapp_event`."""
    body = sandbox_routes.current_request.json_body or {}
    status = body.get("status")
    if status not in STATUSES:
        return _json({"error": f"status is one of {', '.join(STATUSES)}"}, 400)
    try:
        steps, callback_data = PHONE.advance(body.get("message_id", ""), status)
    except KeyError:
        return _json({"error": "no such business message on the phone"}, 404)
    phone = events.Phone.from_environ()
    now = _now()
    results = []
    for step in steps:
        response = _run("on_whatsapp_event", events.status_event(
            phone, events.delivery_status(phone, body["message_id"], step, now, callback_data), now))
        results.append(json.loads(response.body))
        if response.status_code != 200:
            return _json({"statuses": steps, "results": results}, response.status_code)
    return _json({"statuses": steps, "results": results})


@sandbox_routes.route("/sandbox/api/clock", methods=["POST"])
def advance_clock() -> Response:
    """The sandbox-only "+24 h" control: the twin's clock (Connect's and WhatsApp's) and the
    product's move forward together, by `seconds` (a day unless told)."""
    seconds = (sandbox_routes.current_request.json_body or {}).get("seconds", DAY_SECONDS)
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        return _json({"error": "seconds is a positive number"}, 400)
    if not _emulator_url():
        return _json({"error": "only the twin's clock can be moved"}, 400)
    # The twin answers with the chat.ended events of chats its Connect ends at the new time,
    # which it has published to their streaming topics already.
    ended = _emulator("POST", "/_emulator/clock", {"seconds": seconds})
    now = _now()
    CLOCK.install(sandbox_routes.current_app.handler_map[HANDLERS[0]])  # before any handler ran
    return _json({"now": now, "text": console.moment_text(now), "chatsEnded": len(ended)})


# --- the contact centre's capacity and the waiting room ------------------------------------------


@sandbox_routes.route("/sandbox/api/capacity", methods=["GET"])
def capacity() -> Response:
    """Chats in use and the twin's concurrent chats limit ("N of M chats in use")."""
    if not _emulator_url():
        return _json({"error": "the concurrent chats limit is the twin's"}, 400)
    return _json(_capacity())


@sandbox_routes.route("/sandbox/api/capacity", methods=["POST"])
def set_capacity() -> Response:
    """Sets the twin's concurrent chats limit: `{"limit": 3}`, or `{"limit": null}` for none.
    StartChatContact is refused (LimitExceededException) while that many chats are not ended."""
    body = sandbox_routes.current_request.json_body or {}
    limit = body.get("limit")
    if "limit" not in body or not (limit is None or (isinstance(limit, int) and not isinstance(limit, bool)
                                                     and limit >= 0)):
        return _json({"error": "limit is a count of chats (0 or more), or null for no limit"}, 400)
    return _set_limit(limit)


@sandbox_routes.route("/sandbox/api/capacity/fill", methods=["POST"])
def fill_capacity() -> Response:
    """"Fill the contact centre": the limit becomes the chats open now, so the next customer who
    needs a new chat waits."""
    if not _emulator_url():
        return _json({"error": "the concurrent chats limit is the twin's"}, 400)
    return _set_limit(_active_chats())


def _set_limit(limit: int | None) -> Response:
    if not _emulator_url():
        return _json({"error": "the concurrent chats limit is the twin's"}, 400)
    _emulator("POST", "/_emulator/limits", {"concurrent_chats": limit})
    return _json(_capacity())


def _capacity() -> dict:
    limit = _emulator("GET", "/_emulator/limits")["concurrent_chats"]
    return console.capacity_state(_active_chats(), limit)


def _active_chats() -> int:
    """Chats of the bridge's instance that have not ended (the twin counts them as Connect does)."""
    instance_id = os.environ.get("CONNECT_INSTANCE_ID", "")
    query = f"?instance_id={quote(instance_id, safe='')}" if instance_id else ""
    return _emulator("GET", f"/_emulator/active-chats{query}")["active_chats"]


@sandbox_routes.route("/sandbox/api/waiting", methods=["GET"])
def waiting_room() -> Response:
    """The waiting conversations, oldest first, and when retry_waiting next runs."""
    return _json({"waiting": _waiting_room(_now()), "schedule": _schedule_state()})


@sandbox_routes.route("/sandbox/api/waiting/retry", methods=["POST"])
def retry_now() -> Response:
    """"Retry now": retry_waiting at once, as its rule's next tick. It retries the waits whose next
    attempt is due; when none is yet (a capacity wait is due busy_retry_seconds after its last
    attempt), the sandbox's time first moves to the earliest next attempt, as "+24 h" moves it
    (the twin's clock and the product's), so the press is the retry the customer would get."""
    now = _now()
    moved = 0
    rows = _waiting_room(now)
    if _emulator_url() and rows and not any(row["due"] for row in rows):
        moved = max(1, math.ceil(min(row["nextAttemptAt"] for row in rows) - now))
        _emulator("POST", "/_emulator/clock", {"seconds": moved})
        now = _now()
    try:
        result = _retry_waiting(now)
    except Exception as error:  # noqa: BLE001 - reported to the page, as Lambda reports it
        logger.error("retry_waiting raised:\n%s", traceback.format_exc())
        return _json({"function": "retry_waiting", "errorType": type(error).__name__,
                      "errorMessage": str(error), "movedSeconds": moved}, 500)
    return _json({"function": "retry_waiting", "result": result, "movedSeconds": moved,
                  "clock": {"now": now, "text": console.moment_text(now)}})


def _waiting_room(now: float) -> list[dict]:
    """The oldest waiting conversations, read as the bridge reads them (WaitingIndex, oldest
    first), each with its conversation item's wait (the index holds only part of it)."""
    table = os.environ.get("SESSIONS_TABLE")
    if not table:
        return []
    reader = _sessions_reader()
    listed = reader.query(
        TableName=table, IndexName=waiting.INDEX_NAME, KeyConditionExpression="waitingRoom = :room",
        ExpressionAttributeValues={":room": {"S": waiting.WAITING_ROOM}}, ScanIndexForward=True,
        Limit=WAITING_SHOWN)["Items"]
    rows = []
    for entry in listed:
        key = entry["contactId"]["S"]
        item = reader.get_item(TableName=table, Key={"contactId": {"S": key}}, ConsistentRead=True,
                               ProjectionExpression=", ".join(WAIT_ATTRIBUTES)).get("Item")
        if not item or "waitingRoom" not in item:
            continue  # it left the wait since the (eventually consistent) index was read
        conversation_id = key.removeprefix("conversation#")
        rows.append(console.waiting_row(conversation_id, from_attributes(item),
                                        _customer_name(conversation_id), now))
    return rows


def _customer_name(conversation_id: str) -> str:
    """The name the console will show for the conversation's chat: the customer's WhatsApp profile
    name, which its buffered messages carry; else the phone's own, else the number, masked."""
    customer_id = conversation_id.split("#", 1)[-1]
    buffer_table = os.environ.get("BUFFER_TABLE")
    if buffer_table:
        # Message keys start with their timestamp, so they sort before the retry items.
        items = _sessions_reader().query(
            TableName=buffer_table, KeyConditionExpression="conversationId = :id",
            ExpressionAttributeValues={":id": {"S": conversation_id}}, ProjectionExpression="customerName",
            Limit=1)["Items"]
        name = items[0].get("customerName", {}).get("S", "") if items else ""
        if name:
            return name
    phone = events.Phone.from_environ()
    return phone.customer_name if customer_id == phone.customer_wa_id else mask_identifier(customer_id)


def _schedule_state() -> dict:
    if SCHEDULE is None:
        return {"running": False, "nextAt": None, "nextText": "", "error": ""}
    next_at = SCHEDULE.next_at
    return {"running": SCHEDULE.thread.is_alive(), "nextAt": next_at,
            "nextText": console.moment_text(next_at, seconds=True) if next_at else "",
            "error": SCHEDULE.last_error}


@sandbox_routes.route("/sandbox/api/phone/media/{media_id}", methods=["GET"])
def phone_media(media_id: str) -> Response:
    return _json(_emulator("GET", f"/_emulator/whatsapp/media/{media_id}"))


# --- the agent console (the agent side of the emulated Connect) ---------------------------------


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/join", methods=["POST"])
def agent_join(contact_id: str) -> Response:
    """The agent accepts the chat: Connect streams participant.joined once."""
    if contact_id not in JOINED:
        JOINED.add(contact_id)
        _agent_event(contact_id, "application/vnd.amazonaws.connect.event.participant.joined")
    return _json({})


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/message", methods=["POST"])
def agent_message(contact_id: str) -> Response:
    text = ((sandbox_routes.current_request.json_body or {}).get("text") or "").strip()
    if not text:
        return _json({"error": "nothing to send"}, 400)
    return _agent_says(contact_id, text)


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/template", methods=["POST"])
def agent_template(contact_id: str) -> Response:
    """The console's template picker: the agent's `/template NAME LANGUAGE "param" …` message,
    the command the bridge turns into a template send."""
    body = sandbox_routes.current_request.json_body or {}
    parameters = body.get("parameters") or []
    if not body.get("name") or not body.get("language") or not all(isinstance(p, str) for p in parameters):
        return _json({"error": "name, language and parameters (strings) are needed"}, 400)
    return _agent_says(contact_id, console.template_command(body["name"], body["language"], parameters))


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/typing", methods=["POST"])
def agent_typing(contact_id: str) -> Response:
    """The agent is typing: Connect streams its typing event (the bridge decides how often
    WhatsApp hears of it)."""
    return _emulator_answer("POST", f"/_emulator/contacts/{contact_id}/typing", {"display_name": AGENT_NAME})


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/read", methods=["POST"])
def agent_read(contact_id: str) -> Response:
    """The agent read the customer's message: Connect's read receipt event, recorded on the
    message and streamed (events/connect-agent-read-receipt.json)."""
    message_id = (sandbox_routes.current_request.json_body or {}).get("message_id")
    if not message_id:
        return _json({"error": "which message? (message_id)"}, 400)
    return _emulator_answer("POST", f"/_emulator/contacts/{contact_id}/receipts", {
        "message_id": message_id, "kind": "read", "display_name": AGENT_NAME})


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/bot-listpicker", methods=["POST"])
def bot_list_picker(contact_id: str) -> Response:
    """A Lex bot's ListPicker (the content of events/connect-interactive-listpicker.json), sent
    by the chat's bot participant."""
    return _emulator_answer("POST", f"/_emulator/contacts/{contact_id}/messages", {
        "content": _reference_content("connect-interactive-listpicker"), "participant_role": "CUSTOM_BOT",
        "content_type": "application/vnd.amazonaws.connect.message.interactive", "display_name": "BOT"})


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/attachment", methods=["POST"])
def agent_attachment(contact_id: str) -> Response:
    upload = (sandbox_routes.current_request.json_body or {}).get("file") or {}
    _emulator("POST", f"/_emulator/contacts/{contact_id}/attachment-events", {
        "name": upload["name"], "content_type": upload.get("mime") or "application/octet-stream",
        "data_base64": upload["data_base64"]})
    return _json({})


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/end", methods=["POST"])
def agent_end(contact_id: str) -> Response:
    """The agent ends the chat: Connect streams the agent leaving, then chat.ended (the answer)."""
    _agent_event(contact_id, "application/vnd.amazonaws.connect.event.participant.left")
    return _json(_emulator("POST", f"/_emulator/contacts/{contact_id}/end"))


@sandbox_routes.route("/sandbox/api/agent/attachments/{attachment_id}", methods=["GET"])
def agent_download(attachment_id: str) -> Response:
    return _json(_emulator("GET", f"/_emulator/attachments/{attachment_id}"))


def _agent_says(contact_id: str, text: str) -> Response:
    # What Connect's agent workspace sends on a chat that declared text/markdown (the twin
    # streams it as text/plain to a chat that did not, as Connect does).
    return _emulator_answer("POST", f"/_emulator/contacts/{contact_id}/messages",
                            {"content": text, "content_type": "text/markdown", "display_name": AGENT_NAME})


def _agent_event(contact_id: str, content_type: str) -> None:
    _emulator("POST", f"/_emulator/contacts/{contact_id}/events", {
        "participant_role": "AGENT", "type": "EVENT", "content_type": content_type,
        "display_name": AGENT_NAME})


# --- helpers -----------------------------------------------------------------------------------


def _emulator(method: str, path: str, body: dict | None = None) -> Any:
    base = _emulator_url()
    if not base:
        raise RuntimeError("SANDBOX_EMULATOR_URL is not set: the agent side needs the twin")
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _emulator_answer(method: str, path: str, body: dict | None = None) -> Response:
    """The twin's answer as the page's (for an agent's message or event, the streaming event
    Connect published); a refusal (a receipt in a chat of three, say) keeps its status and code."""
    try:
        return _json(_emulator(method, path, body))
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
        return _json({"error": answer.get("message", str(error)), "code": answer.get("code")}, error.code)


def _reference_content(name: str) -> str:
    """The Content of a reference streaming event of events/."""
    return json.loads(load_event(name)["Records"][0]["Sns"]["Message"])["Content"]


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, default=str), status_code=status,
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"})
