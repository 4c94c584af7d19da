"""The local stage's routes: the sandbox's page, its test events and Connect streaming, one blueprint.

The local stage of .chalice/config.json names `sandbox_routes` in LOCAL_BLUEPRINTS, and app.py
registers what that lists; app.py names no sandbox module. The routes reach the handlers through
the blueprint's `current_app`, never by importing app.py: the sandbox depends on the app, never the
reverse.

- `GET /`: the sandbox page (a WhatsApp-like phone, an agent console, the AWS calls per hop).
- `POST /sandbox/events`: a raw test event (any file of events/, or an EventBridge
  Transcribe event) through the handler Lambda would run; `POST /sandbox/invoke/{name}` names it.
- `POST /sandbox/sns/connect`: the streaming topic's HTTP subscription, into `on_connect_event`.
- `/sandbox/api/...`: small JSON routes the page polls and posts to.

Settings come from the .env file (`BRIDGE_ENV_FILE`, default `.env` in the project), loaded here
before any boto3 client exists; variables already in the environment win.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response
from dotenv import load_dotenv

PROJECT_DIR = Path(__file__).resolve().parents[1]
ENV_FILE = Path(os.environ.get("BRIDGE_ENV_FILE") or PROJECT_DIR / ".env")
load_dotenv(ENV_FILE, override=False)

import boto3

from sandbox import events
from sandbox.lambdas import HANDLERS, RECORDER, StreamPoller, invoke

logger = logging.getLogger("sandbox")
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8"}
AGENT_NAME = "Jordan (agent)"
CALLS_PER_HOP = 12

RECORDER.install()
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
    starts while app.py is still being imported)."""
    return invoke(sandbox_routes.current_app.handler_map, function_name, event)


def _run(function_name: str, event: Any) -> Response:
    try:
        result = _invoke(function_name, event)
    except Exception as error:  # noqa: BLE001 - reported to the caller, as Lambda reports it
        logger.error("%s raised:\n%s", function_name, traceback.format_exc())
        return _json({"function": function_name, "errorType": type(error).__name__,
                      "errorMessage": str(error)}, 500)
    return _json({"function": function_name, "result": result})


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
                  "poller": POLLER is not None and POLLER.thread.is_alive()})


# --- the page ----------------------------------------------------------------------------------


@sandbox_routes.route("/", methods=["GET"])
def page() -> Response:
    return _static("index.html")


@sandbox_routes.route("/sandbox/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    return _static(name)


def _static(name: str) -> Response:
    path = STATIC_DIR / name
    if path.parent != STATIC_DIR or path.suffix not in STATIC_TYPES or not path.is_file():
        return _json({"error": "not found"}, 404)
    return Response(path.read_text(), headers={"Content-Type": STATIC_TYPES[path.suffix],
                                               "Cache-Control": "no-store"})


class PhoneTimeline:
    """What the customer's phone shows: what they sent, and what the business sent them (from
    the twin's SendWhatsAppMessage log), with read ticks and reactions on their messages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[dict] = []
        self._by_wamid: dict[str, dict] = {}
        self._sent_seen = 0

    def add_own(self, item: dict) -> None:
        with self._lock:
            self._items.append(item)
            self._by_wamid[item["id"]] = item

    def sync(self, sent: list[dict], customer: str) -> list[dict]:
        with self._lock:
            for record in sent[self._sent_seen:]:
                self._take(record["message"], customer, record.get("messageId", ""))
            self._sent_seen = len(sent)
            return [dict(item) for item in self._items]

    def items(self) -> list[dict]:
        with self._lock:
            return [dict(item) for item in self._items]

    def _take(self, message: dict, customer: str, message_id: str) -> None:
        if message.get("status") == "read":
            target = self._by_wamid.get(message.get("message_id", ""))
            if target is not None:
                target["read"] = True
            return
        if message.get("to") != customer:
            return
        kind = message.get("type", "text")
        if kind == "reaction":
            target = self._by_wamid.get(message["reaction"].get("message_id", ""))
            if target is not None:
                target["reaction"] = message["reaction"].get("emoji", "")
            return
        item = {"id": message_id, "from": "business", "kind": kind, "time": time.time()}
        content = message.get(kind) or {}
        if kind == "text":
            item["text"] = content.get("body", "")
        elif kind in ("image", "video", "audio", "document", "sticker"):
            item |= {"media_id": content.get("id", ""), "filename": content.get("filename", ""),
                     "text": content.get("caption", "")}
        else:
            item["text"] = json.dumps(content, ensure_ascii=False)
        self._items.append(item)


PHONE = PhoneTimeline()
JOINED: set[str] = set()


@sandbox_routes.route("/sandbox/api/state", methods=["GET"])
def state() -> Response:
    """Everything the page shows, in one poll."""
    phone = events.Phone.from_environ()
    twin = bool(_emulator_url())
    chats: list[dict] = []
    timeline = PHONE.items()
    if twin:
        timeline = PHONE.sync(_emulator("GET", "/_emulator/whatsapp/sent"), phone.customer_wa_id)
        chats = [_chat(contact) for contact in reversed(list(_emulator("GET", "/_emulator/contacts").values()))]
    calls: dict[str, list[dict]] = {}
    for call in reversed(RECORDER.calls()):
        hop_calls = calls.setdefault(call["hop"], [])
        if len(hop_calls) < CALLS_PER_HOP:
            hop_calls.append(call)
    return _json({
        "twin": twin,
        "customer": {"wa_id": phone.customer_wa_id, "name": phone.customer_name,
                     "business": phone.display_phone_number},
        "phone": timeline,
        "chats": chats,
        "calls": calls,
        "poller": {"running": POLLER is not None and POLLER.thread.is_alive(),
                   "error": POLLER.last_error if POLLER else ""},
    })


def _chat(contact: dict) -> dict:
    items = []
    for item in contact["transcript"]:
        content_type = item.get("ContentType", "")
        if item["Type"] == "EVENT" and content_type.endswith((".typing", ".delivered", ".read")):
            continue
        items.append({key: item.get(key) for key in (
            "Id", "Type", "ContentType", "Content", "ParticipantRole", "DisplayName",
            "AbsoluteTime", "Attachments")})
    return {"contactId": contact["contact_id"], "customer": contact["display_name"],
            "status": contact["status"], "items": items}


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
    else:
        text = (body.get("text") or "").strip()
        if not text:
            return _json({"error": "nothing to send"}, 400)
        kind, content = "text", {"body": text}
        item = {"kind": "text", "text": text}
    message = events.customer_message(phone, kind, content)
    PHONE.add_own(item | {"id": message["id"], "from": "customer", "time": time.time()})
    return _run("on_whatsapp_event", events.whatsapp_event(phone, message))


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
    _emulator("POST", f"/_emulator/contacts/{contact_id}/messages",
              {"content": text, "display_name": AGENT_NAME})
    return _json({})


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/attachment", methods=["POST"])
def agent_attachment(contact_id: str) -> Response:
    upload = (sandbox_routes.current_request.json_body or {}).get("file") or {}
    _emulator("POST", f"/_emulator/contacts/{contact_id}/attachment-events", {
        "name": upload["name"], "content_type": upload.get("mime") or "application/octet-stream",
        "data_base64": upload["data_base64"]})
    return _json({})


@sandbox_routes.route("/sandbox/api/agent/{contact_id}/end", methods=["POST"])
def agent_end(contact_id: str) -> Response:
    """The agent ends the chat: Connect streams the agent leaving, then chat.ended."""
    _agent_event(contact_id, "application/vnd.amazonaws.connect.event.participant.left")
    _emulator("POST", f"/_emulator/contacts/{contact_id}/end")
    return _json({})


@sandbox_routes.route("/sandbox/api/agent/attachments/{attachment_id}", methods=["GET"])
def agent_download(attachment_id: str) -> Response:
    return _json(_emulator("GET", f"/_emulator/attachments/{attachment_id}"))


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


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, default=str), status_code=status,
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"})
