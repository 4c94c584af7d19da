"""The emulator's WSGI app: Connect, Connect Participant and Social Messaging on one port,
plus attachment upload/download URLs and a JSON control API under /_emulator/."""

import base64
import json
import threading

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from emulator.connect import CONNECT_OPERATIONS, PARTICIPANT_OPERATIONS
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

_CONTROL = Map(
    [
        Rule("/_emulator/calls", methods=["GET"], endpoint="calls"),
        Rule("/_emulator/calls", methods=["DELETE"], endpoint="clear_calls"),
        Rule("/_emulator/reset", methods=["POST"], endpoint="reset"),
        Rule("/_emulator/faults", methods=["POST"], endpoint="fault"),
        Rule("/_emulator/clock", methods=["GET"], endpoint="now"),
        Rule("/_emulator/clock", methods=["POST"], endpoint="clock"),
        Rule("/_emulator/limits", methods=["GET"], endpoint="limits"),
        Rule("/_emulator/limits", methods=["POST"], endpoint="set_limits"),
        Rule("/_emulator/undocumented", methods=["GET"], endpoint="undocumented"),
        Rule("/_emulator/undocumented", methods=["POST"], endpoint="set_undocumented"),
        Rule("/_emulator/active-chats", methods=["GET"], endpoint="active_chats"),
        Rule("/_emulator/contacts", methods=["GET"], endpoint="contacts"),
        Rule("/_emulator/contacts/<contact_id>/expire-connections", methods=["POST"], endpoint="expire"),
        Rule("/_emulator/contacts/<contact_id>/end", methods=["POST"], endpoint="end"),
        Rule("/_emulator/contacts/<contact_id>/events", methods=["POST"], endpoint="event"),
        Rule("/_emulator/contacts/<contact_id>/attachment-events", methods=["POST"],
             endpoint="attachment_event"),
        Rule("/_emulator/contacts/<contact_id>/messages", methods=["POST"], endpoint="agent_message"),
        Rule("/_emulator/contacts/<contact_id>/participants", methods=["POST"], endpoint="join"),
        Rule("/_emulator/contacts/<contact_id>/typing", methods=["POST"], endpoint="typing"),
        Rule("/_emulator/contacts/<contact_id>/receipts", methods=["POST"], endpoint="receipt"),
        Rule("/_emulator/contacts/<contact_id>/customer-echo", methods=["POST"], endpoint="echo"),
        Rule("/_emulator/attachments/<attachment_id>", methods=["GET"], endpoint="attachment"),
        Rule("/_emulator/whatsapp/sent", methods=["GET"], endpoint="sent"),
        Rule("/_emulator/whatsapp/media", methods=["POST"], endpoint="media"),
        Rule("/_emulator/whatsapp/media/<media_id>", methods=["GET"], endpoint="get_media"),
        Rule("/_emulator/whatsapp/customer-wrote", methods=["POST"], endpoint="customer_wrote"),
        Rule("/_emulator/whatsapp/templates", methods=["GET"], endpoint="templates"),
        Rule("/_emulator/transcripts", methods=["POST"], endpoint="transcript"),
    ]
)


class EmulatorApp:
    def __init__(self, twin):
        self._twin = twin
        self._router = Router()
        self._router.add("connect", CONNECT_OPERATIONS)
        self._router.add("connectparticipant", PARTICIPANT_OPERATIONS)
        self._router.add("socialmessaging", SOCIAL_OPERATIONS)
        self._handlers = twin.connect.handlers() | twin.social.handlers()
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
            endpoint, args = _CONTROL.bind_to_environ(request.environ).match()
        except HTTPException as error:
            return error
        body = request.get_json(silent=True) or {}
        twin = self._twin
        try:
            if endpoint == "calls":
                return json_response(twin.calls)
            if endpoint == "clear_calls":
                twin.clear_calls()
            elif endpoint == "reset":
                twin.reset()
            elif endpoint == "fault":
                twin.inject_fault(**body)
            elif endpoint == "now":
                return json_response({"now": twin.clock.timestamp()})
            elif endpoint == "clock":
                # Moves the emulator's clock (a twin in another process); the chat.ended events
                # of the chats that ends.
                return json_response(twin.advance_clock(body["seconds"]))
            elif endpoint == "set_limits":
                # Twin.set_limits' keywords, a rate as [per second, burst]; the limits after.
                twin.set_limits(**body)
                return json_response(twin.limits)
            elif endpoint == "limits":
                return json_response(twin.limits)
            elif endpoint == "set_undocumented":
                # Twin.set_undocumented's keywords (false: the strict mode's); the behaviours after.
                twin.set_undocumented(**body)
                return json_response(twin.undocumented)
            elif endpoint == "undocumented":
                return json_response(twin.undocumented)
            elif endpoint == "active_chats":
                return json_response({"active_chats": twin.active_chats(request.args.get("instance_id"))})
            elif endpoint == "contacts":
                return json_response(twin.contacts)
            elif endpoint == "expire":
                twin.expire_connections(args["contact_id"])
            elif endpoint == "end":
                return json_response(twin.end_chat(args["contact_id"]))
            elif endpoint == "event":
                return json_response(twin.connect_streaming_event(args["contact_id"], **body))
            elif endpoint == "attachment_event":
                return json_response(twin.agent_attachment_event(
                    args["contact_id"], name=body["name"], content_type=body["content_type"],
                    data=base64.b64decode(body["data_base64"])))
            elif endpoint == "agent_message":
                # An agent's chat message (the agent side of Connect): joins the transcript and
                # is streamed like connect-agent-text.json.
                return json_response(twin.connect_streaming_event(
                    args["contact_id"],
                    participant_role=body.get("participant_role", "AGENT"),
                    content=body["content"],
                    content_type=body.get("content_type", "text/plain"),
                    visibility=body.get("visibility", "ALL"),
                    display_name=body.get("display_name"),
                ))
            elif endpoint == "join":
                return json_response(twin.join_participant(
                    args["contact_id"], body.get("role", "AGENT"), display_name=body.get("display_name"),
                    participant_id=body.get("participant_id")))
            elif endpoint == "typing":
                return json_response(twin.agent_typing(args["contact_id"], display_name=body.get("display_name")))
            elif endpoint == "receipt":
                return json_response(twin.streaming.receipt(
                    args["contact_id"], body["message_id"], kind=body.get("kind", "read"),
                    form=body.get("form", "event"), display_name=body.get("display_name")))
            elif endpoint == "echo":
                return json_response(twin.customer_echo_event(args["contact_id"], body.get("message_id")))
            elif endpoint == "attachment":
                attachment = twin.connect.attachments.get(args["attachment_id"])
                if attachment is None or attachment.data is None:
                    return json_response({"message": "No such attachment"}, status=404)
                return json_response({
                    "attachment_id": attachment.attachment_id,
                    "name": attachment.name,
                    "content_type": attachment.content_type,
                    "data_base64": base64.b64encode(attachment.data).decode(),
                })
            elif endpoint == "sent":
                return json_response(twin.sent_whatsapp)
            elif endpoint == "get_media":
                media = twin.social.media.get(args["media_id"])
                if media is None:
                    return json_response({"message": "No such media"}, status=404)
                return json_response({
                    "media_id": args["media_id"],
                    "mime_type": media["mime_type"],
                    "data_base64": base64.b64encode(media["data"]).decode(),
                })
            elif endpoint == "customer_wrote":
                twin.customer_wrote(body["origination_id"], body["wa_id"], body["timestamp"],
                                    body.get("user_id"))
            elif endpoint == "templates":
                # Meta's template objects of a WABA (`waba-<id>` or its ARN), for a picker.
                return json_response(twin.social.templates_of(request.args["waba"]))
            elif endpoint == "transcript":
                # What Transcribe will hear in this audio; without audio, in any unregistered one.
                audio = base64.b64decode(body["data_base64"]) if "data_base64" in body else None
                twin.transcripts.register(audio, body["text"], body.get("language_code", "en-US"))
            elif endpoint == "media":
                twin.register_media(
                    body["media_id"], base64.b64decode(body["data_base64"]), body["mime_type"]
                )
        except ServiceError as error:
            # What Connect answers the agent side (a refused receipt, say).
            return json_response({"code": error.code, "message": error.message}, status=error.status)
        except UndeclaredContentType as error:
            return json_response({"code": "UndeclaredContentType", "message": str(error)}, status=400)
        except (KeyError, TypeError, ValueError, StopIteration) as error:
            return json_response({"message": f"Bad control request: {error!r}"}, status=400)
        return json_response({})


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
