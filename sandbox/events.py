"""Lambda events the sandbox builds: what End User Messaging Social publishes for a customer's
WhatsApp message (shaped like events/eum-*.json), and the Lambda SNS record of an SNS
HTTP notification (how moto delivers Connect streaming to the local stage).

Times (`now`, epoch seconds) are the sandbox's clock, which its "+24 h" control moves: WhatsApp's
timestamps are what the bridge measures the 24-hour window with."""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The defaults are the reference events' made-up identifiers (events/README.md).
DEFAULTS = {
    "SANDBOX_BUSINESS_PHONE_NUMBER_ARN":
        "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/6f17dbb4562b2cd3343a3d0fdec78c75",
    "SANDBOX_META_PHONE_NUMBER_ID": "101996265140636",
    "SANDBOX_DISPLAY_PHONE_NUMBER": "15550100100",
    "SANDBOX_WABA_ID": "174660489307702",
    "SANDBOX_WABA_ARN": "arn:aws:social-messaging:us-east-1:123456789012:waba/7c2025cfddb055018df85097925ee415",
    "SANDBOX_CUSTOMER_WA_ID": "15550100001",
    "SANDBOX_CUSTOMER_NAME": "Ana Souza",
    "SANDBOX_INBOUND_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:whatsapp-connect-chat-inbound",
}


@dataclass(frozen=True)
class Phone:
    """The business number and the customer the sandbox's phone plays."""

    business_arn: str
    meta_phone_number_id: str
    display_phone_number: str
    waba_id: str
    waba_arn: str
    customer_wa_id: str
    customer_name: str
    inbound_topic_arn: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Phone:
        def get(key: str) -> str:
            return environ.get(key) or DEFAULTS[key]

        return cls(get("SANDBOX_BUSINESS_PHONE_NUMBER_ARN"), get("SANDBOX_META_PHONE_NUMBER_ID"),
                   get("SANDBOX_DISPLAY_PHONE_NUMBER"), get("SANDBOX_WABA_ID"), get("SANDBOX_WABA_ARN"),
                   get("SANDBOX_CUSTOMER_WA_ID"), get("SANDBOX_CUSTOMER_NAME"),
                   get("SANDBOX_INBOUND_TOPIC_ARN"))


def new_wamid(wa_id: str) -> str:
    # Real wamids are base64 of the sender's number and a hex id; only uniqueness matters here.
    raw = b"\x15\x02\x00\x12\x18\x0b" + wa_id.encode() + b"\x18\x14" + uuid.uuid4().hex[:20].upper().encode()
    return "wamid." + base64.b64encode(raw).decode()


def new_media_id() -> str:
    return str(uuid.uuid4().int)[:16]


def media_message(kind: str, media_id: str, data: bytes, mime_type: str, *, filename: str = "",
                  caption: str = "") -> dict:
    """The Meta `image`/`video`/`audio`/`document` object of a customer's media message."""
    media: dict[str, Any] = {"mime_type": mime_type,
                             "sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                             "id": media_id}
    if kind == "document" and filename:
        media["filename"] = filename
    if caption and kind in ("image", "video", "document"):
        media["caption"] = caption
    if kind == "audio":
        media["voice"] = mime_type.startswith("audio/ogg")
    return media


def media_kind(mime_type: str) -> str:
    """How WhatsApp sends a file of this type."""
    main = mime_type.split("/", 1)[0]
    if mime_type in ("image/jpeg", "image/png"):
        return "image"
    if main in ("video", "audio"):
        return main
    return "document"


def whatsapp_event(phone: Phone, message: dict, now: float) -> dict:
    """The Lambda SNS event End User Messaging Social publishes for one inbound message."""
    return _webhook_event(phone, {
        "contacts": [{"profile": {"name": phone.customer_name}, "wa_id": phone.customer_wa_id}],
        "messages": [message],
    }, now)


def status_event(phone: Phone, status: dict, now: float) -> dict:
    """The Lambda SNS event End User Messaging Social publishes for one status of a message the
    business sent (shaped like events/eum-status-sent-delivered-read.json: no contacts)."""
    return _webhook_event(phone, {"statuses": [status]}, now)


def delivery_status(phone: Phone, message_id: str, status: str, now: float, callback_data: str = "") -> dict:
    """One `statuses[]` element: `sent`, `delivered` or `read` for the business's message
    `message_id`, echoing the `biz_opaque_callback_data` the message was sent with, as Meta does."""
    element = {"id": message_id, "status": status, "timestamp": str(int(now)),
               "recipient_id": phone.customer_wa_id}
    if callback_data:
        element["biz_opaque_callback_data"] = callback_data
    return element


def failed_status(record: dict, now: float) -> dict:
    """The `statuses[]` element Meta sends instead of delivering a message the twin accepted and
    refused (`record`: its SendWhatsAppMessage record, whose `failure` is Meta's error), shaped like
    events/eum-status-failed.json."""
    message = record["message"]
    element = {"id": record.get("wamid", record["messageId"]), "status": "failed", "timestamp": str(int(now)),
               "recipient_id": message.get("to", ""), "errors": [record["failure"]]}
    if message.get("biz_opaque_callback_data") and record.get("callbackDataEchoed", True):
        element["biz_opaque_callback_data"] = message["biz_opaque_callback_data"]
    return element


def _webhook_event(phone: Phone, value: dict, now: float) -> dict:
    entry = {
        "id": phone.waba_id,
        "changes": [{
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": phone.display_phone_number,
                             "phone_number_id": phone.meta_phone_number_id},
                **value,
            },
            "field": "messages",
        }],
    }
    envelope = {
        "context": {
            "MetaWabaIds": [{"wabaId": phone.waba_id, "arn": phone.waba_arn}],
            "MetaPhoneNumberIds": [{"metaPhoneNumberId": phone.meta_phone_number_id,
                                    "arn": phone.business_arn}],
        },
        "whatsAppWebhookEntry": json.dumps(entry, separators=(",", ":"), ensure_ascii=False),
        "aws_account_id": phone.inbound_topic_arn.split(":")[4],
        "message_timestamp": _rfc3339_nanos(int(now * 1_000_000_000)),
    }
    return sns_lambda_event(phone.inbound_topic_arn,
                            json.dumps(envelope, separators=(",", ":"), ensure_ascii=False), {})


def customer_message(phone: Phone, kind: str, content: dict, now: float, replying_to: str = "") -> dict:
    """A customer's message, written at `now`; `replying_to` is the business message a tap on its
    list row or reply button answers (WhatsApp names it in `context`)."""
    message = {"from": phone.customer_wa_id, "id": new_wamid(phone.customer_wa_id),
               "timestamp": str(int(now)), "type": kind, kind: content}
    if replying_to:
        message = {"context": {"from": phone.display_phone_number, "id": replying_to}} | message
    return message


def interactive_reply(interactive: dict, option_id: str) -> dict | None:
    """The `interactive` object WhatsApp sends when the customer taps the row or reply button
    `option_id` of the business's interactive message: its id and shown title (and a row's
    description) as they were sent, never more. None when the message has no such option."""
    action = interactive.get("action") or {}
    if interactive.get("type") == "list":
        for section in action.get("sections") or []:
            for row in section.get("rows") or []:
                if row.get("id") == option_id:
                    reply = {key: row[key] for key in ("id", "title", "description") if key in row}
                    return {"type": "list_reply", "list_reply": reply}
    if interactive.get("type") == "button":
        for button in action.get("buttons") or []:
            reply = button.get("reply") or {}
            if reply.get("id") == option_id:
                return {"type": "button_reply", "button_reply": {"id": reply["id"], "title": reply.get("title", "")}}
    return None


def sns_lambda_event(topic_arn: str, message: str, attributes: dict, message_id: str | None = None,
                     timestamp: str | None = None, signature: str = "", signing_cert_url: str = "",
                     unsubscribe_url: str = "", subject: str | None = None) -> dict:
    subscription = f"{topic_arn}:{uuid.uuid4()}"
    host = f"https://sns.{topic_arn.split(':')[3]}.amazonaws.com"
    return {"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "Sns": {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": timestamp or _rfc3339_millis(),
            "SignatureVersion": "1",
            "Signature": signature or base64.b64encode(uuid.uuid4().bytes * 16).decode(),
            # Lambda spells these ...Url, where an HTTP notification says ...URL.
            "SigningCertUrl": signing_cert_url or f"{host}/SimpleNotificationService-local.pem",
            "UnsubscribeUrl": unsubscribe_url
            or f"{host}/?Action=Unsubscribe&SubscriptionArn={subscription}",
            "MessageAttributes": attributes,
        },
    }]}


def lambda_event_from_http_notification(notification: dict) -> dict:
    """An SNS HTTP(S) notification body as the Lambda SNS event of the same message."""
    return sns_lambda_event(
        notification["TopicArn"], notification["Message"], notification.get("MessageAttributes") or {},
        message_id=notification.get("MessageId"), timestamp=notification.get("Timestamp"),
        signature=notification.get("Signature", ""),
        signing_cert_url=notification.get("SigningCertURL", ""),
        unsubscribe_url=notification.get("UnsubscribeURL", ""), subject=notification.get("Subject"))


def scheduled_event(rule_arn: str, now: float) -> dict:
    """EventBridge's event for a schedule rule's tick at `now`, as Lambda hands it to an
    @app.schedule function."""
    _, _, _, region, account, _ = rule_arn.split(":", 5)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": account,
            "time": datetime.datetime.fromtimestamp(int(now), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region, "resources": [rule_arn], "detail": {}}


def handler_for(event: dict) -> str:
    """Which handler a raw test event is for: a WhatsApp event, a Connect streaming event, a
    Transcribe job state change or a scheduled tick (EventBridge)."""
    if event.get("source") == "aws.transcribe":
        return "on_transcription_job"
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return "retry_waiting"  # the app's one schedule
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise ValueError("expected a Lambda event: {\"Records\": [...]} or an EventBridge event")
    first = records[0]
    if first.get("eventSource") == "aws:dynamodb":
        return "flush_buffer"
    try:
        message = json.loads(first["Sns"]["Message"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not an SNS Lambda event: {error!r}") from None
    if isinstance(message, dict) and "whatsAppWebhookEntry" in message:
        return "on_whatsapp_event"
    if isinstance(message, dict) and ("InitialContactId" in message or "ContactId" in message):
        return "on_connect_event"
    raise ValueError("the SNS message is neither an End User Messaging Social event nor a Connect "
                     "streaming item")


def _rfc3339_millis() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _rfc3339_nanos(nanos: int) -> str:
    seconds, fraction = divmod(nanos, 1_000_000_000)
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{fraction:09d}Z"
