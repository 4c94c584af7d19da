"""Amazon Connect chat: open a chat in one call, and talk in it as the customer participant."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from botocore.exceptions import ClientError

from . import logs, transfer
from .config import ChatRouting
from .aws_errors import ACCESS_DENIED, error_code
from .media import AttachmentRules
from .streaming import INTERACTIVE, TEXT_MARKDOWN, TEXT_PLAIN

CONNECTION_CREDENTIALS = "CONNECTION_CREDENTIALS"
# What the chat carries. Connect streams nothing richer than a chat declares, so without these an
# agent's markdown and a bot's list or buttons would never reach the bridge (StartChatContact's
# SupportedMessagingContentTypes, botocore's connect model).
DECLARED_CONTENT_TYPES = (
    TEXT_PLAIN, TEXT_MARKDOWN, INTERACTIVE,
    "application/vnd.amazonaws.connect.message.interactive.response",
)
TRANSCRIPT_PAGE = 100
# PersistentChat.RehydrationType (connect model): ENTIRE_PAST_SESSION "Rehydrates a chat from the
# most recently terminated past chat contact of the specified past ended chat session. To use this
# type, provide the initialContactId of the past ended chat session in the sourceContactId field."
REHYDRATE_ENTIRE_PAST_SESSION = "ENTIRE_PAST_SESSION"


class TokenRefused(Exception):
    """Connect refused the connection or participant token: it expired, or its chat has ended."""


@dataclass(frozen=True)
class StartedChat:
    contact_id: str
    participant_id: str
    participant_token: str
    connection_token: str
    connection_expiry: str


@contextmanager
def _token_refusal(what: str) -> Iterator[None]:
    """Connect says AccessDeniedException for an expired token or an ended chat alike."""
    try:
        yield
    except ClientError as error:
        if error_code(error) == ACCESS_DENIED:
            raise TokenRefused(f"{what} refused") from None
        raise


def start_chat(connect: Any, routing: ChatRouting, *, display_name: str,
               attributes: Mapping[str, str], streaming_topic_arn: str, token: str,
               initial_message: str | None, history_of: str = "") -> StartedChat:
    """StartChatContact with streaming and connection credentials: contact, token and stream at
    once; with `history_of` (the initial contact id of an ended chat), the chat starts with that
    chat's transcript."""
    request: dict[str, Any] = {
        "InstanceId": routing.instance_id,
        "ContactFlowId": routing.contact_flow_id,
        "Attributes": dict(attributes),
        "ParticipantDetails": {"DisplayName": display_name[:256]},
        "ChatDurationInMinutes": routing.chat_duration_minutes,
        "SupportedMessagingContentTypes": list(DECLARED_CONTENT_TYPES),
        "ConnectionTypes": [CONNECTION_CREDENTIALS],
        "ChatStreamingConfiguration": {"StreamingEndpointArn": streaming_topic_arn},
        "ClientToken": token,
    }
    if initial_message:
        request["InitialMessage"] = {"ContentType": TEXT_PLAIN, "Content": initial_message}
    if history_of:
        request["PersistentChat"] = {"RehydrationType": REHYDRATE_ENTIRE_PAST_SESSION,
                                     "SourceContactId": history_of}
    response = connect.start_chat_contact(**request)
    credentials = response.get("ConnectionCredentials") or {}
    return StartedChat(
        contact_id=response["ContactId"],
        participant_id=response.get("ParticipantId", ""),
        participant_token=response["ParticipantToken"],
        connection_token=credentials.get("ConnectionToken", ""),
        connection_expiry=str(credentials.get("Expiry", "")),
    )


def create_connection(participant: Any, participant_token: str) -> tuple[str, str]:
    """A fresh connection token, the customer marked connected; TokenRefused once the chat is gone."""
    with _token_refusal("participant token"):
        response = participant.create_participant_connection(
            ParticipantToken=participant_token,
            Type=[CONNECTION_CREDENTIALS],
            ConnectParticipant=True,
        )
    credentials = response["ConnectionCredentials"]
    return credentials["ConnectionToken"], str(credentials.get("Expiry", ""))


def send_receipt(participant: Any, connection_token: str, content_type: str, message_id: str,
                 token: str) -> None:
    """A delivered or read receipt for a chat message, shown to the agent."""
    with _token_refusal("connection token"):
        participant.send_event(ContentType=content_type, Content=json.dumps({"messageId": message_id}),
                               ClientToken=token, ConnectionToken=connection_token)


def send_message(participant: Any, connection_token: str, content: str, token: str) -> str:
    with _token_refusal("connection token"):
        response = participant.send_message(
            ContentType=TEXT_PLAIN,
            Content=content,
            ClientToken=token,
            ConnectionToken=connection_token,
        )
    return response.get("Id", "")


def transcript_page(participant: Any, connection_token: str,
                    next_token: str | None = None) -> tuple[list[dict], str | None]:
    """One page of the chat's transcript as the customer's connection sees it, newest item first
    (GetTranscript: SortOrder DESCENDING, and ScanDirection BACKWARD from the most recent, both
    its defaults without a StartPosition, said here), and the token of the page before it (None
    at the chat's start). MaxResults is the model's largest, 100."""
    request: dict[str, Any] = {"ConnectionToken": connection_token, "MaxResults": TRANSCRIPT_PAGE,
                               "SortOrder": "DESCENDING", "ScanDirection": "BACKWARD"}
    if next_token:
        request["NextToken"] = next_token
    with _token_refusal("connection token"):
        response = participant.get_transcript(**request)
    return list(response.get("Transcript") or []), response.get("NextToken") or None


def disconnect(participant: Any, connection_token: str, token: str) -> None:
    """Leave the chat; one that has ended already is left."""
    try:
        with _token_refusal("connection token"):
            participant.disconnect_participant(ConnectionToken=connection_token, ClientToken=token)
    except TokenRefused:
        pass


def attachment_rules(connect: Any, instance_id: str) -> AttachmentRules:
    """The instance's chat attachment rules; Connect's defaults when they cannot be read."""
    try:
        configuration = connect.describe_attached_files_configuration(
            InstanceId=instance_id, AttachmentScope="CHAT")["AttachedFilesConfiguration"]
    except ClientError as error:
        logs.warning("attachment_rules_defaulted", instanceId=instance_id,
                     error=error_code(error))
        return AttachmentRules.connect_defaults()
    extensions = [e.get("Extension", "") for e in
                  (configuration.get("ExtensionConfiguration") or {}).get("AllowedExtensions", [])]
    return AttachmentRules.from_configuration(
        extensions or AttachmentRules.connect_defaults().extensions,
        int(configuration.get("MaximumSizeLimitInBytes") or AttachmentRules.connect_defaults().max_bytes),
    )


def upload_attachment(participant: Any, connection_token: str, *, name: str, mime_type: str,
                      data: bytes, token: str) -> str:
    """Start, PUT with exactly the headers Connect asked for, complete; returns the attachment id.

    The same token repeats all three steps of a retried upload: the PUT overwrites the same
    object while its URL lasts, and the completion is answered as before.
    """
    with _token_refusal("connection token"):
        started = participant.start_attachment_upload(
            ContentType=mime_type, AttachmentSizeInBytes=len(data), AttachmentName=name,
            ClientToken=token, ConnectionToken=connection_token)
        metadata = started["UploadMetadata"]
        transfer.put(metadata["Url"], metadata.get("HeadersToInclude") or {}, data)
        participant.complete_attachment_upload(
            AttachmentIds=[started["AttachmentId"]], ClientToken=token,
            ConnectionToken=connection_token)
    return started["AttachmentId"]


def download_attachment(participant: Any, connection_token: str, attachment_id: str,
                        max_bytes: int) -> bytes:
    with _token_refusal("connection token"):
        response = participant.get_attachment(
            AttachmentId=attachment_id, ConnectionToken=connection_token, UrlExpiryInSeconds=60)
    return transfer.get(response["Url"], max_bytes)
