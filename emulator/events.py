"""Lambda events from Connect contact streaming, shaped like events/connect-*.json."""

import base64
import copy
import json
import uuid

from emulator.connect import DEFAULT_INSTANCE_ID, PARTICIPANT_JOINED, iso
from emulator.undocumented import Undocumented

TYPING = "application/vnd.amazonaws.connect.event.typing"
RECEIPT_CONTENT_TYPES = {
    "delivered": "application/vnd.amazonaws.connect.event.message.delivered",
    "read": "application/vnd.amazonaws.connect.event.message.read",
}
# The websocket's form of a receipt (Type MESSAGEMETADATA), as the Amazon Connect Chat SDKs parse it
# (amazon-connect-chat-ios and -android: ContentType event.message.metadata, MessageMetadata
# {MessageId, Receipts[{DeliveredTimestamp, ReadTimestamp, RecipientParticipantId}]}).
MESSAGE_METADATA = "application/vnd.amazonaws.connect.event.message.metadata"
# Item types the connectparticipant model's ChatItemType knows for receipts.
RECEIPT_ITEM_TYPES = {"delivered": "MESSAGE_DELIVERED", "read": "MESSAGE_READ"}

DEFAULT_DISPLAY_NAMES = {
    "AGENT": "Agent",
    "SYSTEM": "SYSTEM_MESSAGE",
    "CUSTOM_BOT": "BOT",
    "SUPERVISOR": "Supervisor",
}


class UndeclaredContentType(ValueError):
    """A message of a content type the chat did not declare: Connect does not carry it."""


class StreamingEvents:
    """Builds what Connect would publish for a contact; known contacts also get the item in
    their transcript, so GetTranscript and the stream agree.

    With a `publisher` (emulator.sns_delivery.StreamingPublisher), every item of a contact that
    has a ChatStreamingConfiguration is also published to its SNS topic, as Connect does; the
    customer's own items (the echo) too, through `customer_item`.

    A chat streams only messages of the content types it declared in StartChatContact's
    SupportedMessagingContentTypes (`_deliverable_content_type`).
    """

    def __init__(self, connect, account_id="123456789012", region="us-east-1", publisher=None,
                 undocumented=None):
        self._connect = connect
        self.account_id = account_id
        self.region = region
        self.publisher = publisher
        self.undocumented = undocumented or Undocumented()

    def message(
        self,
        contact_id,
        *,
        participant_role,
        content=None,
        content_type="text/plain",
        type="MESSAGE",
        visibility="ALL",
        display_name=None,
        initial_contact_id=None,
        participant_id=None,
    ):
        contact = self._connect.contacts.get(contact_id)
        if type == "MESSAGE":
            content_type = _deliverable_content_type(contact, participant_role, content_type)
        body = {"AbsoluteTime": self._now()}
        if content is not None:
            body["Content"] = content
        body |= {"ContentType": content_type, "Id": str(uuid.uuid4()), "Type": type}
        body |= self._participant(contact, contact_id, participant_role, display_name, participant_id)
        return self._publish(
            contact,
            contact_id,
            body,
            initial_contact_id,
            visibility=visibility,
            item_type=type,
            content_type=content_type,
            participant_role=participant_role,
        )

    def participant_joined(self, contact_id, *, participant_role="AGENT", display_name=None,
                           participant_id=None):
        """Like connect-participant-joined-agent.json; the participant counts as active in the chat
        from then on (a second agent needs its own participant_id; a SUPERVISOR has one)."""
        return self.message(
            contact_id,
            participant_role=participant_role,
            type="EVENT",
            content_type=PARTICIPANT_JOINED,
            display_name=display_name,
            participant_id=participant_id,
        )

    def typing(self, contact_id, *, participant_role="AGENT", display_name=None):
        """Like connect-typing-agent.json: an EVENT without Content."""
        return self.message(
            contact_id, participant_role=participant_role, type="EVENT", content_type=TYPING,
            display_name=display_name,
        )

    def receipt(self, contact_id, message_id, *, kind="read", form="event", participant_role="AGENT",
                display_name=None):
        """A participant's delivered or read receipt for `message_id`, recorded on that message's
        MessageMetadata.Receipts (what GetTranscript shows) and streamed in one of the forms the
        APIs know: `event` like connect-agent-read-receipt.json / -delivered-receipt.json (Content
        {"messageId"} last), `item_type` the same with Type MESSAGE_READ / MESSAGE_DELIVERED
        (ChatItemType), or `metadata`, Type MESSAGEMETADATA as the websocket carries it.

        Refused like SendEvent refuses a receipt (emulator.restjson.ServiceError): an unknown
        message, or more than two active participants (ConflictException).

        With the twin's `read_receipts_streamed` off (emulator/undocumented.py) the receipt is
        recorded but not streamed, and None is returned: no event reaches the bridge.
        """
        contact = self._connect.contacts.get(contact_id)
        content_type = RECEIPT_CONTENT_TYPES[kind]
        participant = self._participant(contact, contact_id, participant_role, display_name)
        content = json.dumps({"messageId": message_id})
        message = self._connect.record_receipt(contact_id, participant["ParticipantId"], content_type, content)
        if not self.undocumented.read_receipts_streamed:
            return None
        if form == "metadata":
            body = {
                "AbsoluteTime": self._now(),
                "ContentType": MESSAGE_METADATA,
                "Id": str(uuid.uuid4()),
                "Type": "MESSAGEMETADATA",
                "MessageMetadata": copy.deepcopy(message["MessageMetadata"]),
            }
            return self._publish(
                contact, contact_id, body, None, visibility="ALL", participant_role=None,
                item_type="MESSAGEMETADATA", content_type=MESSAGE_METADATA,
            )
        item_type = {"event": "EVENT", "item_type": RECEIPT_ITEM_TYPES[kind]}[form]
        body = {"AbsoluteTime": self._now(), "ContentType": content_type, "Id": str(uuid.uuid4()),
                "Type": item_type} | participant
        return self._publish(
            contact, contact_id, body, None, visibility="ALL", participant_role=participant_role,
            item_type=item_type, content_type=content_type, trailing={"Content": content},
        )

    def attachment(
        self, contact_id, *, name, content_type, data, participant_role="AGENT", display_name=None
    ):
        """An agent's attachment: stored for GetAttachment and announced like
        connect-agent-attachment.json (no Type or ContentType attribute)."""
        contact = self._connect.contacts.get(contact_id)
        attachment_id = self._connect.add_agent_attachment(contact_id, name, content_type, data)
        body = {
            "AbsoluteTime": self._now(),
            "Attachments": [
                {
                    "ContentType": content_type,
                    "AttachmentId": attachment_id,
                    "AttachmentName": name,
                    "Status": "APPROVED",
                }
            ],
            "Id": str(uuid.uuid4()),
            "Type": "ATTACHMENT",
        }
        body |= self._participant(contact, contact_id, participant_role, display_name)
        return self._publish(
            contact, contact_id, body, None, visibility="ALL", participant_role=participant_role
        )

    def chat_ended(self, contact_id, initial_contact_id=None):
        """Like connect-chat-ended.json: no participant fields, no ContactId, no visibility."""
        contact = self._connect.contacts.get(contact_id)
        content_type = "application/vnd.amazonaws.connect.event.chat.ended"
        body = {
            "AbsoluteTime": self._now(),
            "ContentType": content_type,
            "Id": str(uuid.uuid4()),
            "Type": "EVENT",
            "InitialContactId": initial_contact_id or contact_id,
        }
        attributes = {
            "InitialContactId": initial_contact_id or contact_id,
            "Type": "EVENT",
            "AccountId": self.account_id,
            "ContentType": content_type,
            "InstanceId": contact["instance_id"] if contact else DEFAULT_INSTANCE_ID,
        }
        self._connect.add_transcript_item(contact_id, dict(body))
        return self._envelope(contact, body, attributes)

    def customer_item(self, contact, item):
        """Streams an item the customer's own participant calls put in the transcript
        (SendMessage, CompleteAttachmentUpload, DisconnectParticipant, the initial message),
        with the item's own Id, the one GetTranscript shows; returns the Lambda event."""
        order = ("AbsoluteTime", "Content", "ContentType", "Attachments", "Id", "Type",
                 "ParticipantId", "DisplayName", "ParticipantRole")
        body = {key: item[key] for key in order if key in item}
        attributes = {"ContentType": item["ContentType"]} if "ContentType" in item else {}
        return self._publish(
            contact,
            contact["contact_id"],
            body,
            None,
            visibility="ALL",
            participant_role="CUSTOMER",
            item_type=item["Type"] if item["Type"] != "ATTACHMENT" else None,
            content_type=attributes.get("ContentType"),
        )

    def _now(self):
        return iso(self._connect.clock.now())

    def _participant(self, contact, contact_id, role, display_name, participant_id=None):
        if role == "CUSTOMER" and contact is not None:
            return {
                "ParticipantId": contact["participant_id"],
                "DisplayName": display_name or contact["display_name"],
                "ParticipantRole": role,
            }
        return {
            # Stable per contact and role, as one agent keeps one participant id in a chat.
            "ParticipantId": participant_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{contact_id}/{role}")),
            "DisplayName": display_name or DEFAULT_DISPLAY_NAMES.get(role, role),
            "ParticipantRole": role,
        }

    def _publish(
        self,
        contact,
        contact_id,
        body,
        initial_contact_id,
        *,
        visibility,
        participant_role,
        item_type=None,
        content_type=None,
        trailing=None,
    ):
        initial = initial_contact_id or contact_id
        body |= {"InitialContactId": initial, "ContactId": contact_id} | (trailing or {})
        attributes = {"InitialContactId": initial, "MessageVisibility": visibility}
        if item_type is not None:
            attributes["Type"] = item_type
        attributes["AccountId"] = self.account_id
        if content_type is not None:
            attributes["ContentType"] = content_type
        attributes |= {
            "InstanceId": contact["instance_id"] if contact else DEFAULT_INSTANCE_ID,
            "ContactId": contact_id,
        }
        if participant_role is not None:
            attributes["ParticipantRole"] = participant_role
        # The customer's own items are already in the transcript (SendMessage put them there).
        if participant_role != "CUSTOMER":
            item = {k: v for k, v in body.items() if k != "InitialContactId"}
            self._connect.add_transcript_item(contact_id, item, visibility)
        return self._envelope(contact, body, attributes)

    def _envelope(self, contact, body, attributes):
        topic = (contact["streaming_arn"] if contact else None) or (
            f"arn:aws:sns:{self.region}:{self.account_id}:connect-chat-streaming"
        )
        if self.publisher is not None and contact is not None and contact["streaming_arn"]:
            self.publisher.publish(contact["streaming_arn"], body, attributes)
        host = f"sns.{self.region}.amazonaws.com"
        subscription = f"{topic}:{uuid.uuid4()}"
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": subscription,
                    "Sns": {
                        "Type": "Notification",
                        "MessageId": str(uuid.uuid4()),
                        "TopicArn": topic,
                        "Subject": None,
                        "Message": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
                        "Timestamp": self._now(),
                        "SignatureVersion": "1",
                        "Signature": base64.b64encode(uuid.uuid4().bytes * 16).decode(),
                        "SigningCertUrl": f"https://{host}/SimpleNotificationService-emulator.pem",
                        "UnsubscribeUrl": f"https://{host}/?Action=Unsubscribe&SubscriptionArn={subscription}",
                        "MessageAttributes": {
                            name: {"Type": "String", "Value": value} for name, value in attributes.items()
                        },
                    },
                }
            ]
        }


def _deliverable_content_type(contact, participant_role, content_type):
    """The content type a message reaches the chat with, given the chat's declared
    SupportedMessagingContentTypes (connect model, StartChatContact).

    An agent's formatting: the agent application offers markdown only on chats that declared
    text/markdown ("Enable text formatting for your customer's chat experience",
    https://docs.aws.amazon.com/connect/latest/adminguide/enable-text-formatting-chat.html), so
    on any other chat what the agent types goes out as text/plain, asterisks and all. Any other
    undeclared type (a bot's interactive message, JSON) never reaches the chat: Connect's Show
    view block requires application/vnd.amazonaws.connect.message.interactive to be declared
    (the same model note), so the emulator refuses to stream it.
    """
    if contact is None or content_type in contact["supported_content_types"]:
        return content_type
    if participant_role == "AGENT" and content_type == "text/markdown":
        return "text/plain"
    raise UndeclaredContentType(
        f"chat {contact['contact_id']} declared {contact['supported_content_types']}: "
        f"Connect does not carry {content_type} to it"
    )
