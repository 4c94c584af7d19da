"""Amazon Connect chat contacts and the Connect Participant Service, as the bridge uses them."""

import heapq
import json
import re
import threading
import uuid
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timedelta

from emulator.clock import Clock
from emulator.limits import Limits
from emulator.restjson import ServiceError, locked

DEFAULT_INSTANCE_ID = "6688872b-b779-4713-a25c-8a6c220d6483"
DEFAULT_FLOW_ID = "a8c5b7e1-3f2d-4c1a-9e6b-2d4f8a1c7e90"
# Connect's defaults when an instance has no attachment configuration of its own (docs/reference/API.md §4).
DEFAULT_ATTACHMENT_EXTENSIONS = (
    "csv doc docx heic jfif jpeg jpg mov mp4 pdf png ppt pptx rtf txt wav xls xlsx".split()
)
DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024

CONNECT_OPERATIONS = (
    "StartChatContact",
    "StartContactStreaming",
    "StopContactStreaming",
    "DescribeAttachedFilesConfiguration",
)
PARTICIPANT_OPERATIONS = (
    "CreateParticipantConnection",
    "SendMessage",
    "SendEvent",
    "DisconnectParticipant",
    "StartAttachmentUpload",
    "CompleteAttachmentUpload",
    "GetAttachment",
    "GetTranscript",
)

# SendMessage's ContentType (connectparticipant model, SendMessage.ContentType): "Possible types are
# text/plain, text/markdown, application/json, and application/vnd.amazonaws.connect.message.interactive.response.
# Supported types on the contact are configured through SupportedMessagingContentTypes on StartChatContact."
MESSAGE_CONTENT_TYPES = (
    "text/plain",
    "text/markdown",
    "application/json",
    "application/vnd.amazonaws.connect.message.interactive.response",
)
# StartChatContact's SupportedMessagingContentTypes (connect model): the same four plus
# application/vnd.amazonaws.connect.message.interactive, which "is required to use the Show view flow block".
SUPPORTED_CONTENT_TYPES = MESSAGE_CONTENT_TYPES + ("application/vnd.amazonaws.connect.message.interactive",)
EVENT_CONTENT_TYPES = (
    "application/vnd.amazonaws.connect.event.typing",
    "application/vnd.amazonaws.connect.event.message.delivered",
    "application/vnd.amazonaws.connect.event.message.read",
    "application/vnd.amazonaws.connect.event.connection.acknowledged",
)
PARTICIPANT_JOINED = "application/vnd.amazonaws.connect.event.participant.joined"
PARTICIPANT_LEFT = "application/vnd.amazonaws.connect.event.participant.left"
# Which Receipt timestamp each receipt event sets (connectparticipant model, Item.MessageMetadata.Receipts).
RECEIPT_TIMESTAMPS = {
    "application/vnd.amazonaws.connect.event.message.delivered": "DeliveredTimestamp",
    "application/vnd.amazonaws.connect.event.message.read": "ReadTimestamp",
}
CONNECTION_TOKEN_LIFETIME = timedelta(days=1)
# StartChatContact (connect model): "When a new chat contact is successfully created, clients must
# subscribe to the participant's connection for the created chat within 5 minutes. This is achieved
# by invoking CreateParticipantConnection". Its ConnectParticipant "is used to mark the participant
# as connected for customer participant in message streaming". Nothing documents that
# StartChatContact's ConnectionTypes does the same, so here it does not.
CONNECTION_DEADLINE = timedelta(minutes=5)
ATTRIBUTES_MAX_BYTES = 32768
# PersistentChat.RehydrationType (connect model): "RehydrationType is required for persistent chat".
REHYDRATION_TYPES = ("ENTIRE_PAST_SESSION", "FROM_SEGMENT")
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SNS_STANDARD_TOPIC = re.compile(r"^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$")


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Attachment:
    attachment_id: str
    contact_id: str
    name: str
    content_type: str
    size: int
    headers: dict
    status: str = "IN_PROGRESS"
    data: bytes | None = None
    upload_error: str | None = None
    url_expiry: datetime | None = None


class ConnectEmulator:
    """State of every chat contact, plus one handler per Connect and Participant operation.

    `contacts` maps contact ids to plain dicts: contact_id, instance_id, flow_id, display_name,
    attributes, participant_id, participant_token, supported_content_types,
    chat_duration_minutes, status (ACTIVE or ENDED), streaming_arn, streaming_id, started_at,
    customer_connected, participants (the active ones: participant id -> role) and transcript
    (GetTranscript items, oldest first; a persistent chat's begin with its past chat's).
    `base_url` is where the attachment upload and download URLs point: the emulator itself.
    `clock` is the time every rule reads; the twin shares it with End User Messaging Social and
    resets it itself. `limits` are the account's quotas and rates (emulator/limits.py), which the
    twin shares and resets too.
    """

    def __init__(
        self,
        instances=None,
        max_message_bytes=16384,
        attachment_extensions=DEFAULT_ATTACHMENT_EXTENSIONS,
        attachment_max_bytes=DEFAULT_ATTACHMENT_MAX_BYTES,
        base_url="",
        clock=None,
        limits=None,
    ):
        self._lock = threading.RLock()
        self.instances = {
            instance_id: set(flows)
            for instance_id, flows in (instances or {DEFAULT_INSTANCE_ID: [DEFAULT_FLOW_ID]}).items()
        }
        self.max_message_bytes = max_message_bytes
        self.attachment_extensions = list(attachment_extensions)
        self.attachment_max_bytes = attachment_max_bytes
        self.base_url = base_url
        self.clock = clock or Clock()
        self.limits = limits or Limits(self.clock)
        # Called with (contact, item) for each item the customer's participant adds; the twin
        # streams them (Connect echoes the customer's own messages to the streaming topic).
        self.on_customer_item = None
        # Called with the contact id of each chat the 5-minute connection rule ends, when an
        # operation finds it past its deadline; the twin streams chat.ended.
        self.on_chat_ended = None
        self.reset()

    @locked
    def reset(self):
        self.contacts = {}
        self.attachments = {}
        self._start_tokens = {}
        self._participant_tokens = {}
        # Idempotency: (contact id, operation, ClientToken) -> the response first returned.
        self._client_tokens = {}
        # connection token -> (contact id, expiry)
        self._connections = {}
        # (deadline, contact id) of chats whose customer must be marked connected by then.
        self._connection_deadlines = []
        # Whether StartChatContact serves PersistentChat (Twin.set_persistent_chat).
        self.persistent_chat = True

    def handlers(self):
        """One callable per operation; each first ends the chats the 5-minute rule has ended
        meanwhile, so the operation sees them ended. Participant operations are throttled first."""

        def operation(service, name):
            handler = getattr(self, _snake(name))

            def handle(params):
                self._end_overdue_chats()
                if service == "connectparticipant":
                    self._throttle_participant(name, params)
                return handler(params)

            return handle

        return {("connect", name): operation("connect", name) for name in CONNECT_OPERATIONS} | {
            ("connectparticipant", name): operation("connectparticipant", name)
            for name in PARTICIPANT_OPERATIONS
        }

    # --- configuration and agent side ---

    @locked
    def add_contact_flow(self, instance_id, flow_id):
        self.instances.setdefault(instance_id, set()).add(flow_id)

    @locked
    def end_chats_never_connected(self):
        """Ends every chat whose customer was not marked connected within 5 minutes of
        StartChatContact (CONNECTION_DEADLINE); returns their contact ids."""
        ended = []
        while self._connection_deadlines and self._connection_deadlines[0][0] <= self.clock.now():
            _, contact_id = heapq.heappop(self._connection_deadlines)
            contact = self.contacts.get(contact_id)
            if contact is not None and contact["status"] == "ACTIVE" and not contact["customer_connected"]:
                contact["status"] = "ENDED"
                ended.append(contact_id)
        return ended

    def active_chats(self, instance_id=None):
        """How many chats (of the instance, or of every instance) have not ended, once the
        5-minute rule has ended its chats."""
        self._end_overdue_chats()
        with self._lock:
            return self._active_chats(instance_id)

    @locked
    def expire_connections(self, contact_id):
        expired = self.clock.now() - timedelta(seconds=1)
        for token, (owner, _) in self._connections.items():
            if owner == contact_id:
                self._connections[token] = (owner, expired)

    @locked
    def end_chat(self, contact_id):
        self.contacts[contact_id]["status"] = "ENDED"

    @locked
    def add_transcript_item(self, contact_id, item, visibility="ALL"):
        """Appends an item sent by someone other than the customer (agent, system, bot); a
        participant.joined or .left event changes who is active in the chat. An item streamed with
        MessageVisibility AGENT stays out of the customer's transcript (get_transcript)."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            return
        contact["transcript"].append(item)
        if visibility == "AGENT":
            contact.setdefault("agent_only", set()).add(item["Id"])
        if item.get("ContentType") == PARTICIPANT_JOINED:
            contact["participants"][item["ParticipantId"]] = item["ParticipantRole"]
        elif item.get("ContentType") == PARTICIPANT_LEFT:
            contact["participants"].pop(item["ParticipantId"], None)

    @locked
    def record_receipt(self, contact_id, recipient_participant_id, content_type, content):
        """A delivered or read receipt from a participant of the chat, validated as SendEvent
        validates it; returns the message item it marks."""
        contact = self.contacts[contact_id]
        field = RECEIPT_TIMESTAMPS[content_type]
        message = self._receipt_target(contact, recipient_participant_id, content)
        # SendEvent (connectparticipant model): "Message receipts are not supported when there are
        # more than two active participants in the chat. Using the SendEvent API for message
        # receipts when a supervisor is barged-in will result in a conflict exception."
        if len(contact["participants"]) > 2:
            raise ServiceError(
                "ConflictException",
                "Message receipts are not supported when there are more than two active participants",
                409,
            )
        metadata = message.setdefault("MessageMetadata", {"MessageId": message["Id"], "Receipts": []})
        receipt = next(
            (r for r in metadata["Receipts"] if r["RecipientParticipantId"] == recipient_participant_id),
            None,
        )
        if receipt is None:
            receipt = {"RecipientParticipantId": recipient_participant_id}
            metadata["Receipts"].append(receipt)
        # The first receipt of each kind is when it happened; a repeat does not move it.
        receipt.setdefault(field, iso(self.clock.now()))
        return message

    @locked
    def add_agent_attachment(self, contact_id, name, content_type, data):
        """Stores an attachment sent by an agent, ready for GetAttachment; returns its id."""
        attachment = Attachment(
            attachment_id=str(uuid.uuid4()),
            contact_id=contact_id,
            name=name,
            content_type=content_type,
            size=len(data),
            headers={},
            status="APPROVED",
            data=data,
        )
        self.attachments[attachment.attachment_id] = attachment
        return attachment.attachment_id

    # --- connect ---

    @locked
    def start_chat_contact(self, params):
        """Starts a chat, within two limits when set (emulator/limits.py).

        Its rate: Connect's API throttling quotas (Admin Guide, "Amazon Connect API throttling
        quotas"; awsdocs/amazon-connect-admin-guide, amazon-connect-service-limits.md, 2023) are "by
        account, and per Region, not by user and not by instance", for StartChatContact "a RateLimit
        of 5 requests per second, and a BurstLimit of 8". Over it the twin answers
        TooManyRequestsException, 429: the operation's documentation (connect model) says "API TPS
        throttling returns a TooManyRequests exception" ("from the API Gateway", in older SDK docs),
        and Connect's other throttled calls are reported as "(TooManyRequestsException) when calling
        the StartOutboundVoiceContact operation". The model lists no such error for this operation
        (its TooManyRequestsException shape, 429, "Displayed when rate-related API limits are
        exceeded", belongs to other operations), so boto3 raises a plain ClientError with that code;
        botocore's standard mode retries it. Not ThrottlingException, which nothing shows Connect
        sending here; not LimitExceededException, which is the concurrent chats quota's: the bridge
        tells the two apart by code, and by message ("Rate exceeded" or "concurrent active chats").
        A replayed ClientToken is a request too, so it is counted before the replay answers.
        """
        if not self.limits.allow("start_chat_rate"):
            raise ServiceError(
                "TooManyRequestsException", "Rate exceeded: too many StartChatContact requests a second", 429
            )
        client_token = params.get("ClientToken")
        if client_token in self._start_tokens:
            contact_id, response = self._start_tokens[client_token]
            if self.contacts[contact_id]["status"] == "ENDED":
                response = {
                    k: v for k, v in response.items() if k not in ("ConnectionCredentials", "Websocket")
                }
            return response

        instance_id = params["InstanceId"]
        flow_id = params["ContactFlowId"]
        self._require_instance(instance_id)
        if flow_id not in self.instances[instance_id]:
            raise ServiceError("ResourceNotFoundException", f"Contact flow {flow_id} not found", 404)
        display_name = params.get("ParticipantDetails", {}).get("DisplayName", "")
        if not 1 <= len(display_name) <= 256:
            raise ServiceError("InvalidParameterException", "DisplayName must be 1 to 256 characters")
        duration = params.get("ChatDurationInMinutes")
        if duration is not None and not 60 <= duration <= 10080:
            raise ServiceError("InvalidParameterException", "ChatDurationInMinutes must be 60 to 10080")
        supported = params.get("SupportedMessagingContentTypes", ["text/plain"])
        if "text/plain" not in supported:
            raise ServiceError(
                "InvalidRequestException", "SupportedMessagingContentTypes must include text/plain"
            )
        unknown = [t for t in supported if t not in SUPPORTED_CONTENT_TYPES]
        if unknown:
            raise ServiceError("InvalidParameterException", f"Unsupported messaging content types: {unknown}")
        attributes = params.get("Attributes", {})
        _check_attributes(attributes)
        streaming_arn = params.get("ChatStreamingConfiguration", {}).get("StreamingEndpointArn")
        if streaming_arn is not None:
            _check_streaming_arn(streaming_arn)
        initial = params.get("InitialMessage")
        if initial is not None:
            if initial.get("ContentType") not in supported:
                raise ServiceError("InvalidRequestException", "InitialMessage ContentType is not supported")
            self._check_content(initial.get("Content", ""), "InvalidParameterException")
        past = self._rehydration_source(instance_id, params)
        # Admin Guide, Amazon Connect service quotas: "Concurrent active chats per instance: 100. This
        # includes chats that are waiting. If this quota is exceeded, the API call fails with a quota
        # exceeded error"; StartChatContact (connect model): "Active chat throttling returns a
        # LimitExceededException" (429). Every chat not ENDED counts; an ended one frees its slot.
        quota = self.limits.get("concurrent_chats")
        if quota is not None and self._active_chats(instance_id) >= quota:
            raise ServiceError(
                "LimitExceededException",
                f"Quota of {quota} concurrent active chats reached on instance {instance_id}",
                429,
            )

        participant_id = str(uuid.uuid4())
        started = self.clock.now()
        contact = {
            "contact_id": str(uuid.uuid4()),
            "instance_id": instance_id,
            "flow_id": flow_id,
            "display_name": display_name,
            "attributes": dict(attributes),
            "participant_id": participant_id,
            "participant_token": _token(),
            "supported_content_types": list(supported),
            "chat_duration_minutes": duration,
            "status": "ACTIVE",
            "streaming_arn": None,
            "streaming_id": None,
            "started_at": iso(started),
            "customer_connected": False,
            "participants": {participant_id: "CUSTOMER"},
            "transcript": [],
        }
        if past is not None:
            self._rehydrate(contact, past)
        self.contacts[contact["contact_id"]] = contact
        heapq.heappush(self._connection_deadlines, (started + CONNECTION_DEADLINE, contact["contact_id"]))
        self._participant_tokens[contact["participant_token"]] = contact["contact_id"]

        response = {
            "ContactId": contact["contact_id"],
            "ParticipantId": contact["participant_id"],
            "ParticipantToken": contact["participant_token"],
        }
        if past is not None:
            response["ContinuedFromContactId"] = past["contact_id"]
        response |= self._connection_info(contact, params.get("ConnectionTypes", []))
        if streaming_arn is not None:
            contact["streaming_arn"] = streaming_arn
            contact["streaming_id"] = str(uuid.uuid4())
            response["StreamingId"] = contact["streaming_id"]
        if initial is not None:
            # After the streaming configuration is in place, so the initial message is streamed.
            self._add_customer_item(
                contact, self._customer_item(contact, "MESSAGE", initial["ContentType"], initial["Content"])
            )
        if client_token is not None:
            self._start_tokens[client_token] = (contact["contact_id"], response)
        return response

    def _rehydration_source(self, instance_id, params):
        """The ended chat a PersistentChat request rehydrates, or None without one; refused as
        Connect refuses it. StartChatContact (connect model): "You cannot provide data for both
        RelatedContactId and PersistentChat"; RehydrationType "is required for persistent chat";
        ENTIRE_PAST_SESSION takes "the initialContactId of the past ended chat session". Admin
        Guide, "Enable customers to resume chat conversations": "Only chat sessions that have
        ended are allowed to rehydrate onto a new chat session". Which of the operation's errors
        (InvalidRequestException, 400, "The request is not valid"; ResourceNotFoundException,
        404, "The specified resource was not found"; InvalidParameterException, 400, "One or more
        of the specified parameters are not valid") each refusal is, the model does not say:
        parameters in error are InvalidParameterException, a past chat not in the instance
        ResourceNotFoundException (as a contact unknown to StartContactStreaming is), and a
        request that cannot be served now, or on an instance where persistent chat is off,
        InvalidRequestException. There are no transfers here, so a chat is its whole session:
        ENTIRE_PAST_SESSION and FROM_SEGMENT rehydrate the same items."""
        persistent = params.get("PersistentChat")
        if persistent is None:
            return None
        if params.get("RelatedContactId"):
            raise ServiceError(
                "InvalidParameterException", "You cannot provide data for both RelatedContactId and PersistentChat"
            )
        if persistent.get("RehydrationType") not in REHYDRATION_TYPES:
            raise ServiceError("InvalidParameterException", "RehydrationType is required for persistent chat")
        if not self.persistent_chat:
            raise ServiceError("InvalidRequestException", "Persistent chat is not enabled for this instance")
        source = self.contacts.get(persistent.get("SourceContactId"))
        if source is None or source["instance_id"] != instance_id:
            raise ServiceError(
                "ResourceNotFoundException", f"Contact {persistent.get('SourceContactId')} not found", 404
            )
        if source["status"] != "ENDED":
            raise ServiceError(
                "InvalidRequestException", "Only chat sessions that have ended can be rehydrated onto a new chat"
            )
        return source

    @staticmethod
    def _rehydrate(contact, past):
        """The new chat starts with the past chat's transcript (its own past items included). Each
        past item names the contact it was sent on as RelatedContactId and carries no ContactId
        (connectparticipant model, Item: ContactId "is populated only when the transcript item
        is from the current chat session"; RelatedContactId "is only populated for persistent
        chats when the transcript item is from the past chat session"). Messages for agents only
        stay out of the customer's transcript. Connect streams nothing of them: they are past."""
        for item in past["transcript"]:
            copy = {key: deepcopy(value) for key, value in item.items() if key != "ContactId"}
            copy["RelatedContactId"] = item.get("RelatedContactId") or item.get("ContactId") or past["contact_id"]
            contact["transcript"].append(copy)
        if past.get("agent_only"):
            contact["agent_only"] = set(past["agent_only"])

    @locked
    def start_contact_streaming(self, params):
        contact = self._contact_in_instance(params["InstanceId"], params["ContactId"])
        arn = params["ChatStreamingConfiguration"]["StreamingEndpointArn"]
        _check_streaming_arn(arn)
        key = (contact["contact_id"], "StartContactStreaming", params["ClientToken"])
        if key not in self._client_tokens:
            if contact["status"] == "ENDED":
                raise ServiceError("InvalidRequestException", "The chat has ended")
            contact["streaming_arn"] = arn
            contact["streaming_id"] = str(uuid.uuid4())
            self._client_tokens[key] = {"StreamingId": contact["streaming_id"]}
        return self._client_tokens[key]

    @locked
    def stop_contact_streaming(self, params):
        contact = self._contact_in_instance(params["InstanceId"], params["ContactId"])
        if params["StreamingId"] != contact["streaming_id"]:
            raise ServiceError("ResourceNotFoundException", "Streaming id not found on this contact", 404)
        contact["streaming_arn"] = None
        contact["streaming_id"] = None
        return {}

    @locked
    def describe_attached_files_configuration(self, params):
        self._require_instance(params["InstanceId"])
        scope = params["AttachmentScope"]
        if scope not in ("EMAIL", "CHAT", "CASE", "TASK"):
            raise ServiceError("InvalidParameterException", f"Invalid AttachmentScope {scope}")
        return {
            "AttachedFilesConfiguration": {
                "InstanceId": params["InstanceId"],
                "AttachmentScope": scope,
                "MaximumSizeLimitInBytes": self.attachment_max_bytes,
                "ExtensionConfiguration": {
                    "AllowedExtensions": [{"Extension": e} for e in self.attachment_extensions]
                },
            }
        }

    # --- participant ---

    @locked
    def create_participant_connection(self, params):
        contact_id = self._participant_tokens.get(params.get("ParticipantToken"))
        contact = self.contacts.get(contact_id)
        if contact is None or contact["status"] == "ENDED":
            raise _access_denied()
        types = params.get("Type", [])
        invalid = [t for t in types if t not in ("WEBSOCKET", "CONNECTION_CREDENTIALS", "WEBRTC_CONNECTION")]
        if invalid:
            raise ServiceError("ValidationException", f"Invalid connection types: {invalid}")
        if params.get("ConnectParticipant"):
            contact["customer_connected"] = True
        return self._connection_info(contact, types)

    @locked
    def send_message(self, params):
        contact = self._connected_contact(params)
        content_type = params["ContentType"]
        # Only the types the chat declared in SupportedMessagingContentTypes (SendMessage.ContentType).
        if (
            content_type not in MESSAGE_CONTENT_TYPES
            or content_type not in contact["supported_content_types"]
        ):
            raise ServiceError("ValidationException", f"Content type {content_type} is not supported")
        self._check_content(params["Content"], "ValidationException")
        return self._append_once(contact, "SendMessage", params, "MESSAGE", content_type, params["Content"])

    @locked
    def send_event(self, params):
        contact = self._connected_contact(params)
        content_type = params["ContentType"]
        if content_type not in EVENT_CONTENT_TYPES:
            raise ServiceError("ValidationException", f"Event content type {content_type} is not supported")
        key = (contact["contact_id"], "SendEvent", params.get("ClientToken"))
        if content_type in RECEIPT_TIMESTAMPS and key not in self._client_tokens:
            self.record_receipt(
                contact["contact_id"], contact["participant_id"], content_type, params.get("Content")
            )
        return self._append_once(contact, "SendEvent", params, "EVENT", content_type, params.get("Content"))

    @locked
    def disconnect_participant(self, params):
        contact = self._connected_contact(params)
        self._add_customer_item(contact, self._customer_item(contact, "EVENT", PARTICIPANT_LEFT))
        contact["participants"].pop(contact["participant_id"], None)
        contact["status"] = "ENDED"
        return {}

    @locked
    def start_attachment_upload(self, params):
        contact = self._connected_contact(params)
        key = (contact["contact_id"], "StartAttachmentUpload", params["ClientToken"])
        if key in self._client_tokens:
            return self._client_tokens[key]
        name = params["AttachmentName"]
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in self.attachment_extensions:
            raise ServiceError("ValidationException", f"Attachment extension '{extension}' is not allowed")
        size = params["AttachmentSizeInBytes"]
        if not 1 <= size <= self.attachment_max_bytes:
            raise ServiceError(
                "ValidationException", f"AttachmentSizeInBytes must be 1 to {self.attachment_max_bytes}"
            )
        # Admin Guide, Feature specifications (awsdocs/amazon-connect-admin-guide, feature-limits.md,
        # 2023): "Attachments per chat conversation | 35", a limit that "cannot be increased" (5 until
        # November 2022); StartAttachmentUpload (connectparticipant model):
        # ServiceQuotaExceededException, 402, "The number of attachments per contact exceeds the
        # quota." The chat's files count, whoever shared them: every upload started on the contact,
        # completed or not (its URL was issued), and the agent's. Nothing says whether Connect
        # counts an upload never completed; counting it is the stricter reading.
        quota = self.limits.get("attachments_per_chat")
        shared = sum(1 for a in self.attachments.values() if a.contact_id == contact["contact_id"])
        if quota is not None and shared >= quota:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"The number of attachments per contact exceeds the quota of {quota}.",
                402,
            )
        attachment_id = str(uuid.uuid4())
        headers = {"Content-Type": params["ContentType"], "x-amz-meta-attachment": attachment_id}
        expiry = self.clock.now() + timedelta(minutes=5)
        self.attachments[attachment_id] = Attachment(
            attachment_id=attachment_id,
            contact_id=contact["contact_id"],
            name=name,
            content_type=params["ContentType"],
            size=size,
            headers=headers,
            url_expiry=expiry,
        )
        response = {
            "AttachmentId": attachment_id,
            "UploadMetadata": {
                "Url": f"{self.base_url}/_upload/{attachment_id}",
                "UrlExpiry": iso(expiry),
                "HeadersToInclude": headers,
            },
        }
        self._client_tokens[key] = response
        return response

    @locked
    def upload(self, attachment_id, headers, data):
        """The PUT to an upload URL; returns (status, error code or None)."""
        attachment = self.attachments.get(attachment_id)
        if attachment is None:
            return 404, "NoSuchUpload"
        # The upload URL is a pre-signed S3 PUT (connectparticipant model, StartAttachmentUpload):
        # S3 takes it, again and again, until UrlExpiry, whatever Connect made of an earlier PUT.
        if attachment.url_expiry is not None and self.clock.now() > attachment.url_expiry:
            return 403, "AccessDenied"
        if attachment.status != "IN_PROGRESS":
            return 200, None
        wrong = [name for name, value in attachment.headers.items() if headers.get(name) != value]
        if wrong:
            # The signed headers are part of the signature. S3 answers a signature that does not
            # match with 403 (Amazon S3 API Reference, "Error responses": SignatureDoesNotMatch,
            # 403 Forbidden; IAM User Guide, "Troubleshoot Signature Version 4 signing": "you might
            # receive HTTP 403 SignatureDoesNotMatch"); a body shorter than its Content-Length
            # with 400 (IncompleteBody, 400 Bad Request, same S3 page).
            attachment.upload_error = f"headers missing or different: {wrong}"
            return 403, "SignatureDoesNotMatch"
        if len(data) != attachment.size:
            attachment.upload_error = f"{len(data)} bytes sent, {attachment.size} announced"
            return 400, "IncompleteBody"
        attachment.data = data
        attachment.upload_error = None
        return 200, None

    @locked
    def complete_attachment_upload(self, params):
        contact = self._connected_contact(params)
        key = (contact["contact_id"], "CompleteAttachmentUpload", params["ClientToken"])
        if key in self._client_tokens:
            return self._client_tokens[key]
        ids = params["AttachmentIds"]
        if len(ids) != 1:
            raise ServiceError("ValidationException", "AttachmentIds must hold exactly one id")
        attachment = self.attachments.get(ids[0])
        if attachment is None or attachment.contact_id != contact["contact_id"]:
            raise ServiceError("ValidationException", f"Unknown attachment {ids[0]}")
        if attachment.status == "APPROVED":
            raise ServiceError("ConflictException", f"Attachment {ids[0]} is already complete", 409)
        if attachment.data is None:
            raise ServiceError("ValidationException", f"Attachment {ids[0]} was not uploaded")
        attachment.status = "APPROVED"
        item = self._customer_item(contact, "ATTACHMENT")
        item["Attachments"] = [
            {
                "AttachmentId": attachment.attachment_id,
                "AttachmentName": attachment.name,
                "ContentType": attachment.content_type,
                "Status": attachment.status,
            }
        ]
        self._add_customer_item(contact, item)
        self._client_tokens[key] = {}
        return {}

    @locked
    def get_attachment(self, params):
        contact = self._connected_contact(params)
        attachment = self.attachments.get(params["AttachmentId"])
        if (
            attachment is None
            or attachment.contact_id != contact["contact_id"]
            or attachment.status != "APPROVED"
        ):
            raise ServiceError("ValidationException", f"Unknown attachment {params['AttachmentId']}")
        seconds = params.get("UrlExpiryInSeconds", 300)
        if not 5 <= seconds <= 300:
            raise ServiceError("ValidationException", "UrlExpiryInSeconds must be 5 to 300")
        return {
            "Url": f"{self.base_url}/_attachments/{attachment.attachment_id}",
            "UrlExpiry": iso(self.clock.now() + timedelta(seconds=seconds)),
            "AttachmentSizeInBytes": attachment.size,
        }

    @locked
    def download(self, attachment_id):
        """The GET of an attachment URL; returns the attachment or None."""
        attachment = self.attachments.get(attachment_id)
        return attachment if attachment is not None and attachment.status == "APPROVED" else None

    @locked
    def get_transcript(self, params):
        """The chat's items as the customer's connection sees them, a page at a time, in the order
        Connect took them (connectparticipant model, GetTranscript): ScanDirection "Default:
        BACKWARD when no StartPosition is provided", so pages walk from the most recent item back
        to the chat's start (FORWARD: from its start on); SortOrder "Default: DESCENDING" sorts
        each page; MaxResults "Default: 10", at most 100; NextToken is the one the page before
        returned. StartPosition is not emulated, and refused, so that nothing relies on a guess
        at it.

        Messages streamed for agents only (MessageVisibility AGENT) are not in it. Undocumented:
        an item names no visibility, and Amazon's customer chat widget shows the customer's
        transcript as it comes, so such messages cannot be among its items."""
        contact = self._connected_contact(params)
        if params.get("StartPosition"):
            raise ServiceError("ValidationException", "The twin does not emulate StartPosition")
        hidden = contact.get("agent_only", ())
        items = [item for item in contact["transcript"] if item["Id"] not in hidden]
        backward = params.get("ScanDirection", "BACKWARD") == "BACKWARD"
        if backward:
            items.reverse()
        try:
            start = int(params.get("NextToken", "0"))
        except ValueError:
            raise ServiceError("ValidationException", "Invalid NextToken") from None
        limit = params.get("MaxResults", 10)
        if not 0 <= limit <= 100 or start < 0:
            raise ServiceError("ValidationException", "MaxResults must be 0 to 100")
        page = items[start : start + limit]
        if backward != (params.get("SortOrder", "DESCENDING") == "DESCENDING"):
            page.reverse()
        response = {"InitialContactId": contact["contact_id"], "Transcript": page}
        if limit and start + limit < len(items):
            response["NextToken"] = str(start + limit)
        return response

    # --- helpers ---

    def _end_overdue_chats(self):
        for contact_id in self.end_chats_never_connected():
            if self.on_chat_ended is not None:
                self.on_chat_ended(contact_id)

    def _active_chats(self, instance_id):
        return sum(
            1 for c in self.contacts.values()
            if c["status"] != "ENDED" and instance_id in (None, c["instance_id"])
        )

    @locked
    def _throttle_participant(self, operation, params):
        """Admin Guide, "Amazon Connect Participant Service API throttling quotas": "For the Amazon
        Connect Participant Service, the quotas are by instance", one rate per operation:
        CreateParticipantConnection 6 per second (burst 9), DisconnectParticipant 3 (5),
        GetTranscript 8 (12), SendEvent and SendMessage 10 (15), StartAttachmentUpload 2 (5),
        CompleteAttachmentUpload 2 (5), GetAttachment 8 (12). Here one configurable rate applies to
        each operation's own bucket in the instance of the token's chat (a token of no chat shares
        one bucket per operation). Every operation's model (connectparticipant) lists
        ThrottlingException (429, "The request was denied due to request throttling.")."""
        if operation == "CreateParticipantConnection":
            contact_id = self._participant_tokens.get(params.get("ParticipantToken"))
        else:
            contact_id, _ = self._connections.get(params.get("ConnectionToken"), (None, None))
        contact = self.contacts.get(contact_id)
        instance_id = contact["instance_id"] if contact is not None else None
        if not self.limits.allow("participant_rate", (instance_id, operation)):
            raise ServiceError("ThrottlingException", "Rate exceeded", 429)

    def _require_instance(self, instance_id):
        if instance_id not in self.instances:
            raise ServiceError("ResourceNotFoundException", f"Instance {instance_id} not found", 404)

    def _contact_in_instance(self, instance_id, contact_id):
        self._require_instance(instance_id)
        contact = self.contacts.get(contact_id)
        if contact is None or contact["instance_id"] != instance_id:
            raise ServiceError("ResourceNotFoundException", f"Contact {contact_id} not found", 404)
        return contact

    def _connected_contact(self, params):
        """The contact of a valid connection token; participant tokens are not accepted here."""
        contact_id, expiry = self._connections.get(params.get("ConnectionToken"), (None, None))
        contact = self.contacts.get(contact_id)
        if contact is None or contact["status"] == "ENDED" or expiry <= self.clock.now():
            raise _access_denied()
        return contact

    def _connection_info(self, contact, types):
        info = {}
        expiry = self.clock.now() + CONNECTION_TOKEN_LIFETIME
        if "CONNECTION_CREDENTIALS" in types:
            token = _token()
            self._connections[token] = (contact["contact_id"], expiry)
            info["ConnectionCredentials"] = {"ConnectionToken": token, "Expiry": iso(expiry)}
        if "WEBSOCKET" in types:
            info["Websocket"] = {
                "Url": f"{self.base_url.replace('http', 'ws', 1)}/_websocket/{contact['contact_id']}",
                "ConnectionExpiry": iso(self.clock.now() + timedelta(seconds=100)),
            }
        return info

    def _receipt_target(self, contact, recipient_participant_id, content):
        """The message a receipt's Content names. SendEvent.Content (connectparticipant model):
        "For content related to message receipts, this is supported in the form of a JSON string.
        Sample Content: {"messageId":"11111111-aaaa-bbbb-cccc-EXAMPLE01234"}". The model does
        not say what Connect makes of an id it does not know; the emulator refuses it, so a bridge
        that acknowledges the wrong id shows."""
        try:
            message_id = json.loads(content or "")["messageId"]
            if not isinstance(message_id, str):
                raise TypeError(message_id)
        except (ValueError, TypeError, KeyError):
            raise ServiceError(
                "ValidationException", 'A receipt\'s Content must be JSON {"messageId": "<id>"}'
            ) from None
        for item in contact["transcript"]:
            if (
                item["Id"] == message_id
                and item["Type"] in ("MESSAGE", "ATTACHMENT")
                and item.get("ParticipantId") != recipient_participant_id
            ):
                return item
        raise ServiceError(
            "ValidationException", f"No message {message_id} from another participant in this chat"
        )

    def _check_content(self, content, error_code):
        size = len(content.encode("utf-8"))
        if not 1 <= size <= self.max_message_bytes:
            raise ServiceError(error_code, f"Content must be 1 to {self.max_message_bytes} bytes, got {size}")

    def _customer_item(self, contact, item_type, content_type=None, content=None):
        item = {"Id": str(uuid.uuid4()), "Type": item_type, "AbsoluteTime": iso(self.clock.now())}
        if content_type is not None:
            item["ContentType"] = content_type
        if content is not None:
            item["Content"] = content
        item |= {
            "ParticipantId": contact["participant_id"],
            "DisplayName": contact["display_name"],
            "ParticipantRole": "CUSTOMER",
            "ContactId": contact["contact_id"],
        }
        return item

    def _add_customer_item(self, contact, item):
        contact["transcript"].append(item)
        if self.on_customer_item is not None:
            self.on_customer_item(contact, item)

    def _append_once(self, contact, operation, params, item_type, content_type, content):
        key = (contact["contact_id"], operation, params.get("ClientToken"))
        if key[2] is not None and key in self._client_tokens:
            return self._client_tokens[key]
        item = self._customer_item(contact, item_type, content_type, content)
        self._add_customer_item(contact, item)
        response = {"Id": item["Id"], "AbsoluteTime": item["AbsoluteTime"]}
        if key[2] is not None:
            self._client_tokens[key] = response
        return response


def _check_attributes(attributes):
    bad = [key for key in attributes if not _ATTRIBUTE_KEY.match(key)]
    if bad:
        raise ServiceError("InvalidParameterException", f"Invalid attribute keys: {bad}")
    size = sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in attributes.items())
    if size > ATTRIBUTES_MAX_BYTES:
        raise ServiceError(
            "InvalidParameterException", f"Attributes total {size} bytes, over {ATTRIBUTES_MAX_BYTES}"
        )


def _check_streaming_arn(arn):
    if not 1 <= len(arn) <= 350 or not _SNS_STANDARD_TOPIC.match(arn):
        raise ServiceError(
            "InvalidParameterException", f"StreamingEndpointArn must be a standard SNS topic: {arn}"
        )


def _access_denied():
    return ServiceError(
        "AccessDeniedException", "You do not have sufficient access to perform this action.", 403
    )


def _token():
    return uuid.uuid4().hex + uuid.uuid4().hex


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
