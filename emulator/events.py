"""Lambda events from Connect contact streaming, shaped like events/connect-*.json."""

import base64
import json
import uuid

from emulator.connect import DEFAULT_INSTANCE_ID, iso, now

DEFAULT_DISPLAY_NAMES = {
    "AGENT": "Agent",
    "SYSTEM": "SYSTEM_MESSAGE",
    "CUSTOM_BOT": "BOT",
    "SUPERVISOR": "Supervisor",
}


class StreamingEvents:
    """Builds what Connect would publish for a contact; known contacts also get the item in
    their transcript, so GetTranscript and the stream agree.

    With a `publisher` (emulator.sns_delivery.StreamingPublisher), every item of a contact that
    has a ChatStreamingConfiguration is also published to its SNS topic, as Connect does; the
    customer's own items (the echo) too, through `customer_item`.
    """

    def __init__(self, connect, account_id="123456789012", region="us-east-1", publisher=None):
        self._connect = connect
        self.account_id = account_id
        self.region = region
        self.publisher = publisher

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
    ):
        contact = self._connect.contacts.get(contact_id)
        body = {"AbsoluteTime": iso(now())}
        if content is not None:
            body["Content"] = content
        body |= {"ContentType": content_type, "Id": str(uuid.uuid4()), "Type": type}
        body |= self._participant(contact, contact_id, participant_role, display_name)
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

    def attachment(
        self, contact_id, *, name, content_type, data, participant_role="AGENT", display_name=None
    ):
        """An agent's attachment: stored for GetAttachment and announced like
        connect-agent-attachment.json (no Type or ContentType attribute)."""
        contact = self._connect.contacts.get(contact_id)
        attachment_id = self._connect.add_agent_attachment(contact_id, name, content_type, data)
        body = {
            "AbsoluteTime": iso(now()),
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
            "AbsoluteTime": iso(now()),
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
        (SendMessage, CompleteAttachmentUpload, DisconnectParticipant, the initial message)."""
        order = ("AbsoluteTime", "Content", "ContentType", "Attachments", "Id", "Type",
                 "ParticipantId", "DisplayName", "ParticipantRole")
        body = {key: item[key] for key in order if key in item}
        attributes = {"ContentType": item["ContentType"]} if "ContentType" in item else {}
        self._publish(
            contact,
            contact["contact_id"],
            body,
            None,
            visibility="ALL",
            participant_role="CUSTOMER",
            item_type=item["Type"] if item["Type"] != "ATTACHMENT" else None,
            content_type=attributes.get("ContentType"),
        )

    def _participant(self, contact, contact_id, role, display_name):
        if role == "CUSTOMER" and contact is not None:
            return {
                "ParticipantId": contact["participant_id"],
                "DisplayName": display_name or contact["display_name"],
                "ParticipantRole": role,
            }
        return {
            # Stable per contact and role, as one agent keeps one participant id in a chat.
            "ParticipantId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{contact_id}/{role}")),
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
    ):
        initial = initial_contact_id or contact_id
        body |= {"InitialContactId": initial, "ContactId": contact_id}
        attributes = {"InitialContactId": initial, "MessageVisibility": visibility}
        if item_type is not None:
            attributes["Type"] = item_type
        attributes["AccountId"] = self.account_id
        if content_type is not None:
            attributes["ContentType"] = content_type
        attributes |= {
            "InstanceId": contact["instance_id"] if contact else DEFAULT_INSTANCE_ID,
            "ContactId": contact_id,
            "ParticipantRole": participant_role,
        }
        # The customer's own items are already in the transcript (SendMessage put them there).
        if participant_role != "CUSTOMER":
            item = {k: v for k, v in body.items() if k != "InitialContactId"}
            self._connect.add_transcript_item(contact_id, item)
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
                        "Timestamp": iso(now()),
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
