"""The emulator's WSGI app: Connect, Connect Participant and Social Messaging on one port,
plus attachment upload/download URLs and a JSON control API under /_emulator/."""

import base64
import json
import threading

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from emulator.connect import CONNECT_OPERATIONS, PARTICIPANT_OPERATIONS
from emulator.connect_admin import CONNECT_ADMIN_OPERATIONS
from emulator.events import UndeclaredContentType
from emulator.restjson import Router, ServiceError, error_response, json_response
from emulator.social import SOCIAL_OPERATIONS

# What each service answers when a required member is missing (clients other than boto3, such
# as a browser sandbox, skip the SDK's own validation).
_VALIDATION_ERRORS = {
    "connect": "InvalidParameterException",
    "connectparticipant": "ValidationException",
    "socialmessaging": "ValidationException",
}

# Connect's and Social Messaging's models give AccessDeniedException HTTP 403.
_ACCESS_DENIED_STATUS = 403

class _NoSuchResource(Exception):
    """A control request naming an attachment or media the twin does not hold (404)."""


# Each control endpoint takes the twin, the JSON body, the query string and the URL's values,
# and returns the JSON to answer.


def _calls(twin, body, query):
    return twin.calls


def _clear_calls(twin, body, query):
    twin.clear_calls()
    return {}


def _reset(twin, body, query):
    twin.reset()
    return {}


def _inject_fault(twin, body, query):
    twin.inject_fault(**body)
    return {}


def _now(twin, body, query):
    return {"now": twin.clock.timestamp()}


def _advance_clock(twin, body, query):
    # Moves the emulator's clock (a twin in another process); the chat.ended events of the chats
    # that ends.
    return twin.advance_clock(body["seconds"])


def _limits(twin, body, query):
    return twin.limits


def _set_limits(twin, body, query):
    # Twin.set_limits' keywords, a rate as [per second, burst]; the limits after.
    twin.set_limits(**body)
    return twin.limits


def _undocumented(twin, body, query):
    return twin.undocumented


def _set_undocumented(twin, body, query):
    # Twin.set_undocumented's keywords (false: the strict mode's); the behaviours after.
    twin.set_undocumented(**body)
    return twin.undocumented


def _active_chats(twin, body, query):
    return {"active_chats": twin.active_chats(query.get("instance_id"))}


def _contacts(twin, body, query):
    return twin.contacts


def _expire_connections(twin, body, query, contact_id):
    twin.expire_connections(contact_id)
    return {}


def _end_chat(twin, body, query, contact_id):
    return twin.end_chat(contact_id)


def _streaming_event(twin, body, query, contact_id):
    return twin.connect_streaming_event(contact_id, **body)


def _agent_attachment(twin, body, query, contact_id):
    return twin.agent_attachment_event(
        contact_id, name=body["name"], content_type=body["content_type"],
        data=base64.b64decode(body["data_base64"]))


def _agent_message(twin, body, query, contact_id):
    # An agent's chat message (the agent side of Connect): joins the transcript and is streamed
    # like connect-agent-text.json.
    return twin.connect_streaming_event(
        contact_id,
        participant_role=body.get("participant_role", "AGENT"),
        content=body["content"],
        content_type=body.get("content_type", "text/plain"),
        visibility=body.get("visibility", "ALL"),
        display_name=body.get("display_name"),
    )


def _join(twin, body, query, contact_id):
    return twin.join_participant(
        contact_id, body.get("role", "AGENT"), display_name=body.get("display_name"),
        participant_id=body.get("participant_id"))


def _typing(twin, body, query, contact_id):
    return twin.agent_typing(contact_id, display_name=body.get("display_name"))


def _receipt(twin, body, query, contact_id):
    return twin.streaming.receipt(
        contact_id, body["message_id"], kind=body.get("kind", "read"),
        form=body.get("form", "event"), display_name=body.get("display_name"))


def _customer_echo(twin, body, query, contact_id):
    return twin.customer_echo_event(contact_id, body.get("message_id"))


def _attachment(twin, body, query, attachment_id):
    attachment = twin.connect.attachments.get(attachment_id)
    if attachment is None or attachment.data is None:
        raise _NoSuchResource("No such attachment")
    return {
        "attachment_id": attachment.attachment_id,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "data_base64": base64.b64encode(attachment.data).decode(),
    }


def _sent_whatsapp(twin, body, query):
    return twin.sent_whatsapp


def _register_media(twin, body, query):
    twin.register_media(body["media_id"], base64.b64decode(body["data_base64"]), body["mime_type"])
    return {}


def _media(twin, body, query, media_id):
    media = twin.social.media.get(media_id)
    if media is None:
        raise _NoSuchResource("No such media")
    return {
        "media_id": media_id,
        "mime_type": media["mime_type"],
        "data_base64": base64.b64encode(media["data"]).decode(),
    }


def _customer_wrote(twin, body, query):
    twin.customer_wrote(body["origination_id"], body["wa_id"], body["timestamp"], body.get("user_id"))
    return {}


def _templates(twin, body, query):
    # Meta's template objects of a WABA (`waba-<id>` or its ARN), for a picker.
    return twin.social.templates_of(query["waba"])


def _register_transcript(twin, body, query):
    # What Transcribe will hear in this audio; without audio, in any unregistered one.
    audio = base64.b64decode(body["data_base64"]) if "data_base64" in body else None
    twin.transcripts.register(audio, body["text"], body.get("language_code", "en-US"))
    return {}


# The control API: each route's endpoint is its handler.
_CONTROL = Map(
    [
        Rule("/_emulator/calls", methods=["GET"], endpoint=_calls),
        Rule("/_emulator/calls", methods=["DELETE"], endpoint=_clear_calls),
        Rule("/_emulator/reset", methods=["POST"], endpoint=_reset),
        Rule("/_emulator/faults", methods=["POST"], endpoint=_inject_fault),
        Rule("/_emulator/clock", methods=["GET"], endpoint=_now),
        Rule("/_emulator/clock", methods=["POST"], endpoint=_advance_clock),
        Rule("/_emulator/limits", methods=["GET"], endpoint=_limits),
        Rule("/_emulator/limits", methods=["POST"], endpoint=_set_limits),
        Rule("/_emulator/undocumented", methods=["GET"], endpoint=_undocumented),
        Rule("/_emulator/undocumented", methods=["POST"], endpoint=_set_undocumented),
        Rule("/_emulator/active-chats", methods=["GET"], endpoint=_active_chats),
        Rule("/_emulator/contacts", methods=["GET"], endpoint=_contacts),
        Rule("/_emulator/contacts/<contact_id>/expire-connections", methods=["POST"],
             endpoint=_expire_connections),
        Rule("/_emulator/contacts/<contact_id>/end", methods=["POST"], endpoint=_end_chat),
        Rule("/_emulator/contacts/<contact_id>/events", methods=["POST"], endpoint=_streaming_event),
        Rule("/_emulator/contacts/<contact_id>/attachment-events", methods=["POST"],
             endpoint=_agent_attachment),
        Rule("/_emulator/contacts/<contact_id>/messages", methods=["POST"], endpoint=_agent_message),
        Rule("/_emulator/contacts/<contact_id>/participants", methods=["POST"], endpoint=_join),
        Rule("/_emulator/contacts/<contact_id>/typing", methods=["POST"], endpoint=_typing),
        Rule("/_emulator/contacts/<contact_id>/receipts", methods=["POST"], endpoint=_receipt),
        Rule("/_emulator/contacts/<contact_id>/customer-echo", methods=["POST"], endpoint=_customer_echo),
        Rule("/_emulator/attachments/<attachment_id>", methods=["GET"], endpoint=_attachment),
        Rule("/_emulator/whatsapp/sent", methods=["GET"], endpoint=_sent_whatsapp),
        Rule("/_emulator/whatsapp/media", methods=["POST"], endpoint=_register_media),
        Rule("/_emulator/whatsapp/media/<media_id>", methods=["GET"], endpoint=_media),
        Rule("/_emulator/whatsapp/customer-wrote", methods=["POST"], endpoint=_customer_wrote),
        Rule("/_emulator/whatsapp/templates", methods=["GET"], endpoint=_templates),
        Rule("/_emulator/transcripts", methods=["POST"], endpoint=_register_transcript),
    ]
)


class EmulatorApp:
    def __init__(self, twin):
        self._twin = twin
        self._router = Router()
        self._router.add("connect", CONNECT_OPERATIONS)
        self._router.add("connect", CONNECT_ADMIN_OPERATIONS)
        self._router.add("connectparticipant", PARTICIPANT_OPERATIONS)
        self._router.add("socialmessaging", SOCIAL_OPERATIONS)
        self._handlers = twin.connect.handlers() | twin.connect_admin.handlers() | twin.social.handlers()
        self._faults_lock = threading.Lock()
        self._faults = {}

    def inject_fault(self, service, operation, code, status=400, message="Injected fault", times=1,
                     after=0):
        with self._faults_lock:
            self._faults[(service, operation)] = {
                "error": ServiceError(code, message, status),
                "remaining": times,
                "passing": after,
            }

    def clear_faults(self):
        with self._faults_lock:
            self._faults.clear()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emulator/"):
            response = self._control(request)
        elif request.path.startswith("/_upload/") and request.method == "PUT":
            response = self._upload(request)
        elif request.path.startswith("/_attachments/") and request.method == "GET":
            response = self._download(request)
        else:
            response = self._aws(request)
        return response(environ, start_response)

    def _aws(self, request):
        match = self._router.match(request)
        if match is None:
            self._twin.call_log.record(
                "unknown", f"{request.method} {request.path}", {}, 404, "UnknownOperationException"
            )
            return error_response(
                "UnknownOperationException", f"No operation at {request.method} {request.path}", 404
            )
        operation, uri_values = match
        params = {}
        try:
            params = operation.parse(request, uri_values)
            refusal = self._twin.iam.refusal(request.environ, operation.service, operation.name, params)
            if refusal is not None:
                raise ServiceError("AccessDeniedException", refusal, _ACCESS_DENIED_STATUS)
            self._raise_fault(operation)
            missing = [name for name in operation.required if name not in params]
            if missing:
                raise ServiceError(
                    _VALIDATION_ERRORS[operation.service], f"Missing required members: {missing}"
                )
            result = self._handlers[(operation.service, operation.name)](params)
        except ServiceError as error:
            self._twin.call_log.record(
                operation.service, operation.name, _loggable(params), error.status, error.code
            )
            return error_response(error.code, error.message, error.status)
        self._twin.call_log.record(operation.service, operation.name, _loggable(params), 200, None)
        return json_response(result)

    def _raise_fault(self, operation):
        with self._faults_lock:
            fault = self._faults.get((operation.service, operation.name))
            if fault is None:
                return
            if fault["passing"] > 0:
                fault["passing"] -= 1
                return
            fault["remaining"] -= 1
            if fault["remaining"] <= 0:
                del self._faults[(operation.service, operation.name)]
        raise fault["error"]

    def _upload(self, request):
        attachment_id = request.path.rsplit("/", 1)[-1]
        data = request.get_data()
        status, error = self._twin.connect.upload(attachment_id, request.headers, data)
        params = {"attachment_id": attachment_id, "size": len(data), "content_type": request.content_type}
        self._twin.call_log.record("upload", "PutAttachment", params, status, error)
        if error:
            return Response(
                f"<Error><Code>{error}</Code></Error>", status=status, content_type="application/xml"
            )
        return Response(status=200)

    def _download(self, request):
        attachment_id = request.path.rsplit("/", 1)[-1]
        attachment = self._twin.connect.download(attachment_id)
        status = 200 if attachment else 404
        self._twin.call_log.record(
            "upload",
            "GetAttachmentContent",
            {"attachment_id": attachment_id},
            status,
            None if attachment else "NoSuchKey",
        )
        if attachment is None:
            return Response(
                "<Error><Code>NoSuchKey</Code></Error>", status=404, content_type="application/xml"
            )
        return Response(attachment.data, content_type=attachment.content_type)

    def _control(self, request):
        try:
            handler, url_values = _CONTROL.bind_to_environ(request.environ).match()
        except HTTPException as error:
            return error
        body = request.get_json(silent=True) or {}
        try:
            return json_response(handler(self._twin, body, request.args, **url_values))
        except _NoSuchResource as error:
            return json_response({"message": str(error)}, status=404)
        except ServiceError as error:
            # What Connect answers the agent side (a refused receipt, say).
            return json_response({"code": error.code, "message": error.message}, status=error.status)
        except UndeclaredContentType as error:
            return json_response({"code": "UndeclaredContentType", "message": str(error)}, status=400)
        except (KeyError, TypeError, ValueError, StopIteration) as error:
            return json_response({"message": f"Bad control request: {error!r}"}, status=400)


def _loggable(params):
    """Blobs become their JSON (the WhatsApp message) or base64, so the log stays JSON-friendly."""
    loggable = {}
    for name, value in params.items():
        if isinstance(value, bytes):
            try:
                value = json.loads(value)
            except ValueError:
                value = base64.b64encode(value).decode()
        loggable[name] = value
    return loggable
