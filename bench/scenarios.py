"""The flows the benchmark measures, driven through the real handlers against a twin process."""
from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
from dataclasses import dataclass
from typing import Callable

import boto3

from emulator.reference_events import (
    REFERENCE_CUSTOMER_WA_ID, customer_messages, load_event, sns_message, status_of_sent,
    text_from_customer, with_messages,
)
from bench.sample_reply import SampleReply
from emulator.product_clock import wrap_runtime_clock
from emulator.stream_records import StreamReader
from emulator.voice_notes import ogg_opus_repeated, sample_voice_note
from sandbox.resources import CONTACT_FLOW_ID, INSTANCE_ID, create_table, settings_document

# The benchmark's own account in the twin, with the emulator's default Connect instance.
REGION = "us-east-1"
PREFIX = "whatsapp-connect-chat-bench"
SESSIONS_TABLE = f"{PREFIX}-sessions"
BUFFER_TABLE = f"{PREFIX}-buffer"
MEDIA_BUCKET = f"{PREFIX}-media"
STREAMING_TOPIC = f"{PREFIX}-streaming"
STREAMING_TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:{STREAMING_TOPIC}"
CONFIG_PARAMETER = "/whatsapp_eum_connect_chat/bench/config"
SETTINGS = settings_document(INSTANCE_ID, CONTACT_FLOW_ID, {})

SERVICE_NAMES = {"dynamodb": "DynamoDB", "connect": "Connect", "connectparticipant": "Participant",
                 "socialmessaging": "WhatsApp", "s3": "S3", "transcribe": "Transcribe",
                 "ssm": "SSM", "upload": "HTTPS"}
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"
PDF = b"%PDF-1.4\n" + b"return label " * 2000 + b"\n%%EOF"


class TwinClient:
    """The twin's control API, for a twin running in another process."""

    def __init__(self, emulator_url: str) -> None:
        self.url = emulator_url

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def calls(self) -> list[dict]:
        return self._call("GET", "calls")

    def clear_calls(self) -> None:
        self._call("DELETE", "calls")

    def reset(self) -> None:
        self._call("POST", "reset")

    def now(self) -> float:
        return self._call("GET", "clock")["now"]

    def customer_wrote(self, origination_id: str, wa_id: str, timestamp: int) -> None:
        self._call("POST", "whatsapp/customer-wrote",
                   {"origination_id": origination_id, "wa_id": wa_id, "timestamp": timestamp})

    def register_media(self, media_id: str, data: bytes, mime_type: str) -> None:
        self._call("POST", "whatsapp/media", {"media_id": media_id, "mime_type": mime_type,
                                              "data_base64": base64.b64encode(data).decode()})

    def end_chat(self, contact_id: str) -> dict:
        """Ends the chat; Connect's chat.ended streaming event, as SNS hands it to on_connect_event."""
        return self._call("POST", f"contacts/{contact_id}/end")

    def contacts(self) -> dict[str, dict]:
        """Every chat by contact id: status, started_at, transcript (with AbsoluteTime)."""
        return self._call("GET", "contacts")

    def set_limits(self, limits: dict) -> dict:
        """Twin.set_limits' keywords, a rate as [per second, burst]; the limits after."""
        return self._call("POST", "limits", limits)

    def agent_text(self, contact_id: str, text: str) -> dict:
        return self._call("POST", f"contacts/{contact_id}/events",
                          {"participant_role": "AGENT", "content": text})

    def customer_echo(self, contact_id: str) -> dict:
        """Connect's streaming event for the chat's first customer message, as SNS hands it to
        on_connect_event."""
        return self._call("POST", f"contacts/{contact_id}/customer-echo")

    def sent(self) -> list[dict]:
        return self._call("GET", "whatsapp/sent")

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "clock", {"seconds": seconds})

    def agent_attachment(self, contact_id: str, name: str, content_type: str, data: bytes) -> dict:
        return self._call("POST", f"contacts/{contact_id}/attachment-events",
                          {"name": name, "content_type": content_type,
                           "data_base64": base64.b64encode(data).decode()})


@dataclass
class FlowResult:
    wall_ms: float
    cpu_ms: float
    delivered_ms: float  # from the first handler's start until the delivering call was answered
    critical: list[str]
    off: list[str]


class Timer:
    """Adds up the wall and CPU time of the handler invocations only."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def run(self, handler: Callable, event: dict):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return handler(event, None)
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu


class Scenario:
    def __init__(self, twin: TwinClient) -> None:
        self.twin = twin
        for name, value in {
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION, "SESSIONS_TABLE": SESSIONS_TABLE, "BUFFER_TABLE": BUFFER_TABLE,
            "MEDIA_BUCKET": MEDIA_BUCKET, "CONFIG_PARAMETER": CONFIG_PARAMETER,
            "CONNECT_STREAMING_TOPIC_ARN": STREAMING_TOPIC_ARN,
        }.items():
            os.environ[name] = value
        self.stream = self.create_resources()
        import app

        self.app = app
        self.sample_reply = SampleReply(SESSIONS_TABLE)
        self.customers = 0
        self._clock_offset = self.twin.now() - time.time()
        self.put_app_on_twin_time()

    def put_app_on_twin_time(self) -> None:
        """The handlers read the twin's clock, as a deployed function and AWS share one time."""
        wrap_runtime_clock(vars(self.app), lambda _: self.now)

    def clock_offset(self) -> float:
        """The twin's clock minus the wall clock: it runs at wall speed from where it started."""
        return self._clock_offset

    def now(self) -> float:
        return time.time() + self._clock_offset

    def create_resources(self) -> StreamReader:
        dynamodb = boto3.client("dynamodb")
        create_table(dynamodb, "SessionsTable", SESSIONS_TABLE)
        stream = StreamReader(create_table(dynamodb, "BufferTable", BUFFER_TABLE))
        boto3.client("s3").create_bucket(Bucket=MEDIA_BUCKET)
        boto3.client("sns").create_topic(Name=STREAMING_TOPIC)
        boto3.client("ssm").put_parameter(Name=CONFIG_PARAMETER, Value=SETTINGS, Type="String",
                                          Overwrite=True)
        return stream

    def fresh_account(self) -> None:
        """Empty tables again: moto's costs grow with a table, real DynamoDB's do not."""
        self.twin.reset()
        # The reset put the twin's clock back at its start.
        self._clock_offset = self.twin.now() - time.time()
        self.stream = self.create_resources()

    def advance(self, seconds: float) -> None:
        """Time passes for the twin and the handlers alike."""
        self.twin.advance_clock(seconds)
        self._clock_offset = self.twin.now() - time.time()

    # --- building blocks ----------------------------------------------------------------------

    def new_customer(self) -> str:
        self.customers += 1
        return f"1555{self.customers:07d}"

    def text_event(self, customer: str, text: str, wamid: str | None = None) -> dict:
        self.customers += 1
        # Written now, by the twin's clock: the 24-hour window runs from it.
        message = {**text_from_customer(wamid or f"wamid.bench{self.customers}", int(self.now()), text),
                   "from": customer}
        return self.for_customer(with_messages(load_event("eum-text"), [message]), customer)

    def for_customer(self, event: dict, customer: str) -> dict:
        """The event from this customer, who (as Meta then knows) wrote its messages."""
        event = json.loads(json.dumps(event).replace(REFERENCE_CUSTOMER_WA_ID, customer))
        for origination_id, wa_id, timestamp in customer_messages(event):
            self.twin.customer_wrote(origination_id, wa_id, timestamp)
        return event

    def deliver(self, event: dict, timer: Timer | None = None) -> None:
        timer = timer or Timer()
        timer.run(self.app.on_whatsapp_event, event)
        records = self.stream.read()
        timer.run(self.app.flush_buffer, {"Records": records})

    def open_chat(self) -> tuple[str, str]:
        customer = self.new_customer()
        self.deliver(self.text_event(customer, "Hello, I need help"))
        # This customer's chat: createdAt counts whole seconds, so the newest may be another's.
        (contact_id,) = [s["contactId"]["S"] for s in self.sessions()
                         if s.get("customerWaId", {}).get("S") == customer]
        return customer, contact_id

    def sessions(self) -> list[dict]:
        items = boto3.client("dynamodb").scan(TableName=SESSIONS_TABLE)["Items"]
        return [i for i in items if "systemNumber" in i]

    def measured(self, markers: set[str], action: Callable[[Timer], None],
                 first: bool = False) -> FlowResult:
        """`first`: the critical path ends at the first marker call (an agent's reply, before the
        blue ticks it sends after); otherwise at the last (a caption after its image)."""
        self.stream.read()
        self.twin.clear_calls()
        timer = Timer()
        started = time.time()
        action(timer)
        calls = [c for c in self.twin.calls() if c["service"] != "dynamodbstreams"]
        names = [f"{SERVICE_NAMES.get(c['service'], c['service'])} {c['operation']}" for c in calls]
        marked = [i for i, c in enumerate(calls) if c["operation"] in markers] or [len(calls) - 1]
        last = marked[0] if first else marked[-1]
        return FlowResult(timer.wall * 1000, timer.cpu * 1000, (calls[last]["at"] - started) * 1000,
                          names[:last + 1], names[last + 1:])

    # --- flows -----------------------------------------------------------------------------------

    def first_text(self) -> FlowResult:
        customer = self.new_customer()
        event = self.text_event(customer, "Hi, I need help with my order")
        return self.measured({"StartChatContact"}, lambda timer: self.deliver(event, timer))

    def open_chat_text(self) -> FlowResult:
        customer, _ = self.open_chat()
        event = self.text_event(customer, "Are you there?")
        return self.measured({"SendMessage"}, lambda timer: self.deliver(event, timer))

    def burst_of_five(self) -> FlowResult:
        customer, _ = self.open_chat()
        events = [self.text_event(customer, f"line {n}") for n in range(5)]

        def burst(timer: Timer) -> None:
            for event in events:
                timer.run(self.app.on_whatsapp_event, event)
            timer.run(self.app.flush_buffer, {"Records": self.stream.read()})

        return self.measured({"SendMessage"}, burst)

    def image_with_caption(self) -> FlowResult:
        customer, _ = self.open_chat()
        event = self.for_customer(load_event("eum-image"), customer)
        self.customers += 1
        event = json.loads(json.dumps(event).replace("1546782405440846", f"77{self.customers}"))
        self.twin.register_media(f"77{self.customers}", JPEG, "image/jpeg")
        return self.measured({"CompleteAttachmentUpload", "SendMessage"},
                             lambda timer: self.deliver(event, timer))

    def voice_note(self) -> FlowResult:
        customer, _ = self.open_chat()
        self.customers += 1
        event = json.loads(json.dumps(self.for_customer(load_event("eum-audio-voice"), customer))
                           .replace("1880715785616371", f"88{self.customers}"))
        self.twin.register_media(f"88{self.customers}", sample_voice_note(), "audio/ogg")
        return self.measured({"CompleteAttachmentUpload"}, lambda timer: self.deliver(event, timer))

    def agent_text(self) -> FlowResult:
        """As in a real chat, Connect's echo of the customer's text reached on_connect_event
        before the agent answered it: the container knows the chat's connection token, and reads
        the transcript while it claims the reply (chalicelib/connection_hints.py)."""
        return self._agent_reply(after_the_echo=True)

    def agent_text_cold(self) -> FlowResult:
        """The reply is the first event of its chat this container sees: the claim, then the
        transcript."""
        return self._agent_reply(after_the_echo=False)

    def _agent_reply(self, after_the_echo: bool) -> FlowResult:
        _, contact_id = self.open_chat()
        if after_the_echo:
            self.app.on_connect_event(self.twin.customer_echo(contact_id), None)
        event = self.twin.agent_text(contact_id, "Hi Ana, I'm Jordan. I can help with that.")
        return self.measured({"SendWhatsAppMessage"},
                             lambda timer: timer.run(self.app.on_connect_event, event), first=True)

    def sample_agent_text(self) -> FlowResult:
        """The same reply through the original sample's path (bench/sample_reply.py)."""
        _, contact_id = self.open_chat()
        event = self.twin.agent_text(contact_id, "Hi Ana, I'm Jordan. I can help with that.")
        return self.measured({"SendWhatsAppMessage"},
                             lambda timer: timer.run(self.sample_reply, event), first=True)

    def agent_text_outside_window(self) -> FlowResult:
        """A day and an hour after the customer wrote: no WhatsApp call, a note to the agent."""
        _, contact_id = self.open_chat()
        self.advance(25 * 3600)
        event = self.twin.agent_text(contact_id, "Are you still there?")
        # The note's first SendMessage may be refused: a day-old connection token has expired.
        return self.measured({"SendMessage"}, lambda timer: timer.run(self.app.on_connect_event, event))

    def template_command(self) -> FlowResult:
        _, contact_id = self.open_chat()
        event = self.twin.agent_text(contact_id, "/template order_update en_US Ana 4521 tomorrow")
        return self.measured({"SendWhatsAppMessage"},
                             lambda timer: timer.run(self.app.on_connect_event, event), first=True)

    def start_conversation(self) -> FlowResult:
        request = {"customerNumber": f"+{self.new_customer()}", "templateName": "welcome_back",
                   "phoneNumberId": "phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75"}
        return self.measured({"SendWhatsAppMessage"},
                             lambda timer: timer.run(self.app.start_conversation, request))

    def agent_attachment(self) -> FlowResult:
        _, contact_id = self.open_chat()
        event = self.twin.agent_attachment(contact_id, "return-label.pdf", "application/pdf", PDF)
        return self.measured({"SendWhatsAppMessage"},
                             lambda timer: timer.run(self.app.on_connect_event, event), first=True)

    def read_status(self) -> FlowResult:
        """WhatsApp's read status for an agent's message, shown to the agent as Read."""
        _, contact_id = self.open_chat()
        self.app.on_connect_event(self.twin.agent_text(contact_id, "Your parcel left the depot."), None)
        sent = next(s for s in reversed(self.twin.sent()) if s["message"].get("type") == "text")
        event = status_of_sent(sent, "read")
        return self.measured({"SendEvent"}, lambda timer: timer.run(self.app.on_whatsapp_event, event))

    def expired_chat(self) -> FlowResult:
        customer, contact_id = self.open_chat()
        self.twin.end_chat(contact_id)
        event = self.text_event(customer, "Hello? Anyone?")
        return self.measured({"StartChatContact"}, lambda timer: self.deliver(event, timer))

    # --- throughput, cold start, voice -----------------------------------------------------------

    def buffered_records(self, conversations: int, per_conversation: int) -> list[dict]:
        from chalicelib import buffer, whatsapp

        envelope = sns_message(load_event("eum-text"))
        business_arn = envelope["context"]["MetaPhoneNumberIds"][0]["arn"]
        business = whatsapp.BusinessNumber("101996265140636", business_arn, "15550100100")
        dynamodb = boto3.resource("dynamodb").Table(BUFFER_TABLE)
        now = self.now()
        with dynamodb.batch_writer() as batch:
            for _ in range(conversations):
                customer = self.new_customer()
                person = whatsapp.Customer(customer, customer, None, "Bench Customer")
                for n in range(per_conversation):
                    self.customers += 1
                    body = text_from_customer(f"wamid.t{self.customers}", 1763100000 + n, f"message {n}")
                    message = whatsapp.InboundMessage(
                        business=business, customer=person, message_id=body["id"],
                        timestamp=int(body["timestamp"]), type="text", body={**body, "from": customer})
                    batch.put_item(Item=buffer.buffer_item(message, now))
        records: list[dict] = []
        while len(records) < conversations * per_conversation:
            page = self.stream.read()
            if not page:
                break
            records += page
        return records

    def throughput(self, conversations: int, per_conversation: int) -> dict:
        self.fresh_account()
        batch_records = self.buffered_records(conversations, per_conversation)
        timer = Timer()
        timer.run(self.app.flush_buffer, {"Records": batch_records})
        batch_ms = timer.wall * 1000
        self.fresh_account()
        single_records = self.buffered_records(conversations, per_conversation)
        timer = Timer()
        for record in single_records:
            timer.run(self.app.flush_buffer, {"Records": [record]})
        return {"messages": len(batch_records), "conversations": conversations,
                "batch_ms": batch_ms, "single_ms": timer.wall * 1000}

    def first_events(self) -> dict[str, dict]:
        customer = self.new_customer()
        self.app.on_whatsapp_event(self.text_event(customer, "cold start"), None)
        records = self.stream.read()
        _, contact_id = self.open_chat()
        return {
            "on_whatsapp_event": self.text_event(self.new_customer(), "cold start"),
            "flush_buffer": {"Records": records},
            "on_connect_event": self.twin.agent_text(contact_id, "cold start reply"),
        }

    def voice_conversion_ms(self, runs: int) -> list[float]:
        from chalicelib import audio

        note = sample_voice_note()
        minute = ogg_opus_repeated(note, seconds=60)
        audio.voice_note_to_wav(note, max_seconds=60)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            audio.voice_note_to_wav(minute, max_seconds=120)
            timings.append((time.perf_counter() - started) * 1000)
        return timings


@dataclass(frozen=True)
class Flow:
    title: str
    run: Callable[[Scenario], FlowResult]


AGENT_REPLY = "agent text reply"
SAMPLE_AGENT_REPLY = "agent text reply, the original sample's path (bench/sample_reply.py)"
FLOWS = [
    Flow("new customer's first text", Scenario.first_text),
    Flow("text into an open chat", Scenario.open_chat_text),
    Flow("burst of five texts", Scenario.burst_of_five),
    Flow("image with caption", Scenario.image_with_caption),
    Flow("voice note (audio attached)", Scenario.voice_note),
    Flow(AGENT_REPLY, Scenario.agent_text),
    Flow("agent text reply, the chat's first event in its container", Scenario.agent_text_cold),
    Flow(SAMPLE_AGENT_REPLY, Scenario.sample_agent_text),
    Flow("agent attachment (PDF)", Scenario.agent_attachment),
    Flow("agent text outside the 24-hour window", Scenario.agent_text_outside_window),
    Flow("/template command", Scenario.template_command),
    Flow("start_conversation (template)", Scenario.start_conversation),
    Flow("WhatsApp read status to the agent", Scenario.read_status),
    Flow("expired chat recovered", Scenario.expired_chat),
]
