"""A twin with publish_streaming: Connect publishes each chat item to the chat's SNS topic in moto,
and moto delivers it over HTTP with its MessageAttributes, as SNS does (the local sandbox's path)."""
import base64
import json
import threading

import boto3
import pytest
from werkzeug.wrappers import Request, Response

from emulator.serving import BackgroundServer
from emulator.twin import Twin
from tests.emulator.conftest import control
from tests.emulator.test_connect import start_chat
from tests.repository import load_event


class Subscriber:
    """An HTTP endpoint that keeps every SNS notification posted to it."""

    def __init__(self):
        self.received = []
        self.arrived = threading.Condition()
        self.server = BackgroundServer(self)

    def __call__(self, environ, start_response):
        with self.arrived:
            self.received.append(json.loads(Request(environ).get_data()))
            self.arrived.notify_all()
        return Response("")(environ, start_response)

    def wait_for(self, count, timeout=10):
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), self.received
        return self.received


@pytest.fixture(scope="module")
def publishing():
    subscriber = Subscriber()
    subscriber.server.start()
    with Twin(publish_streaming=True) as twin:
        yield twin, subscriber
    subscriber.server.stop()


def client(twin, service):
    return boto3.client(service, endpoint_url=twin.endpoint_env()[f"AWS_ENDPOINT_URL_{service.upper()}"],
                        region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def fixture_shape(name):
    sns = load_event(name)["Records"][0]["Sns"]
    return list(json.loads(sns["Message"])), list(sns["MessageAttributes"])


def shape(notification):
    return list(json.loads(notification["Message"])), list(notification["MessageAttributes"])


def streaming_chat(twin, subscriber, topic_name):
    """A chat that opened with "Hi" and streams to a new topic the subscriber listens to; the
    chat and the topic's ARN."""
    sns = client(twin, "sns")
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{subscriber.server.url}/sns")
    subscriber.received.clear()
    return start_chat(client(twin, "connect"), ChatStreamingConfiguration={"StreamingEndpointArn": topic},
                      InitialMessage={"ContentType": "text/plain", "Content": "Hi"}), topic


def test_chat_items_are_published_to_the_streaming_topic_in_order_with_their_attributes(publishing):
    twin, subscriber = publishing
    chat, topic = streaming_chat(twin, subscriber, "connect-streaming")
    contact_id = chat["ContactId"]

    client(twin, "connectparticipant").send_message(
        ConnectionToken=chat["ConnectionCredentials"]["ConnectionToken"], ContentType="text/plain",
        Content="Where is my order?")
    control(twin, "POST", f"/contacts/{contact_id}/messages", {"content": "Let me check", "display_name": "Jordan"})
    control(twin, "POST", f"/contacts/{contact_id}/end")
    received = subscriber.wait_for(4)

    bodies = [json.loads(n["Message"]) for n in received]
    assert [(b.get("ParticipantRole"), b.get("Content")) for b in bodies] == [
        ("CUSTOMER", "Hi"), ("CUSTOMER", "Where is my order?"), ("AGENT", "Let me check"), (None, None)]
    assert all(n["TopicArn"] == topic and n["Type"] == "Notification" for n in received)
    assert shape(received[1]) == fixture_shape("connect-customer-echo.json")
    assert shape(received[2]) == fixture_shape("connect-agent-text.json")
    assert shape(received[3]) == fixture_shape("connect-chat-ended.json")
    assert received[2]["MessageAttributes"]["MessageVisibility"] == {"Type": "String", "Value": "ALL"}
    # Connect's own publishing is not the product's call: the call log stays the product's.
    assert not twin.calls_to("sns", "Publish")


def test_control_api_serves_media_attachments_and_registers_transcripts(publishing):
    twin, _ = publishing
    control(twin, "POST", "/whatsapp/media", {"media_id": "123", "mime_type": "image/png",
                                              "data_base64": base64.b64encode(b"png").decode()})
    chat = start_chat(client(twin, "connect"))
    attachment = json.loads(twin.agent_attachment_event(
        chat["ContactId"], name="label.pdf", content_type="application/pdf", data=b"%PDF"
    )["Records"][0]["Sns"]["Message"])["Attachments"][0]
    control(twin, "POST", "/transcripts", {"data_base64": base64.b64encode(b"ogg").decode(), "text": "hello"})

    media = control(twin, "GET", "/whatsapp/media/123")
    download = control(twin, "GET", f"/attachments/{attachment['AttachmentId']}")

    assert (media["mime_type"], base64.b64decode(media["data_base64"])) == ("image/png", b"png")
    assert (download["name"], download["content_type"], base64.b64decode(download["data_base64"])) == (
        "label.pdf", "application/pdf", b"%PDF")
    assert twin.transcripts._transcript_for(b"ogg")[0] == "hello"


def test_a_chat_ended_by_the_connection_rule_publishes_chat_ended_after_the_initial_echo(publishing):
    twin, subscriber = publishing
    chat, _ = streaming_chat(twin, subscriber, "connect-streaming-deadline")
    (initial,) = client(twin, "connectparticipant").get_transcript(
        ConnectionToken=chat["ConnectionCredentials"]["ConnectionToken"])["Transcript"]

    control(twin, "POST", "/clock", {"seconds": 300})
    echo, ended = (json.loads(n["Message"]) for n in subscriber.wait_for(2))
    twin.reset()

    assert (echo["Id"], echo["Content"]) == (initial["Id"], "Hi")
    assert (ended["ContentType"], ended["InitialContactId"]) == (
        "application/vnd.amazonaws.connect.event.chat.ended", chat["ContactId"])
