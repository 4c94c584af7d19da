"""The flows the explorer kills: each sets the scene, names the one invocation to kill, and says
what both sides must hold once the retries are over.

Customer-side units are the lines and attachments of the chat (Connect's transcript, every chat of
the conversation in the order they were opened); WhatsApp-side units are the paragraphs and files
the customer received. Reference events come from events/, like the rest of the suite.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.exceptions import ClientError

from chalicelib import customer_media, failures, window
from chalicelib.config import DEFAULT_BUSY_MESSAGE
from emulator.reference_events import status_of_sent
from tests.conftest import (
    CONVERSATION_ID, SESSIONS_TABLE, load_event, sns_message, text_from_customer, with_messages,
)
from tests.test_outbound import for_contact

FLUSH = "flush_buffer"
RECEIVE = "on_whatsapp_event"
STREAMING = "on_connect_event"
TRANSCRIPTION_JOB = "on_transcription_job"
START_CONVERSATION = "start_conversation"
RETRY_WAITING = "retry_waiting"

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIRST_TEXT = "Hi, I need help with my order"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
PDF = b"%PDF-1.4\n" + b"return label " * 200 + b"\n%%EOF"
AGENT_TEXT = "Hi Ana, I'm Jordan. I can help with that."
# Three paragraphs of about 2,000 characters: more than WhatsApp's 4,096 per message.
LONG_PARAGRAPHS = tuple(f"Part {n}: " + " ".join(f"step-{n}-{w}" for w in range(230))
                        for n in (1, 2, 3))
VOICE_TRANSCRIPT = "Where is my parcel"
RUSSIAN_TRANSCRIPT = "Где моя посылка"
JOB_LANGUAGES = {"transcribe_languages": ["en-US", "ru-RU"]}


def attachment_unit(name: str) -> str:
    return f"📎 {name}"


@dataclass(frozen=True)
class Flow:
    """`prepare` sets the scene on a fresh account and returns what the killed invocation of
    `handler` receives: stream records for the flush, an event otherwise. `later` runs, unkilled,
    after the retries: what happens next in the conversation."""

    name: str
    handler: str
    prepare: Callable[[Any], Any]
    chat: tuple[str, ...]
    whatsapp: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)
    later: Callable[[Any, Callable[[list], None]], None] | None = None
    # What a chat unit says whenever it is said: a note that names the time left varies with when
    # the retry ran.
    same_unit: Callable[[str], str] = lambda unit: unit
    # The marks WhatsApp's statuses leave on the agent's messages, `Delivered: <text>` or
    # `Read: <text>` (explorer.receipt_units); none unless a flow says so.
    receipts: tuple[str, ...] = ()


def _webhook_message(event: dict) -> dict:
    entry = json.loads(sns_message(event)["whatsAppWebhookEntry"])
    return entry["changes"][0]["value"]["messages"][0]


def _texts(*messages: tuple[str, int, str]) -> dict:
    return with_messages(load_event("eum-text"), [text_from_customer(*m) for m in messages])


def _buffered(bridge, event: dict) -> list:
    bridge.whatsapp(event)
    return bridge.stream_records()


def _new_chat(bridge) -> list:
    return _buffered(bridge, load_event("eum-text"))


BURST = (("wamid.crash-burst-1", 1763000001, "Hello again"),
         ("wamid.crash-burst-2", 1763000002, "My package has not arrived yet"),
         ("wamid.crash-burst-3", 1763000003, "The order number is 4521"))


def _burst(bridge) -> list:
    return _buffered(bridge, _texts(*BURST))


OPEN_CHAT_TEXTS = (("wamid.crash-open-1", 1763000101, "Are you there?"),
                   ("wamid.crash-open-2", 1763000102, "I am still waiting"))


def _open_chat_texts(bridge) -> list:
    bridge.open_chat()
    return _buffered(bridge, _texts(*OPEN_CHAT_TEXTS))


def _image(bridge) -> list:
    event = load_event("eum-image")
    bridge.twin.register_media(_webhook_message(event)["image"]["id"], JPEG, "image/jpeg")
    return _buffered(bridge, event)


def _voice_note_event(bridge, transcript: str, language: str) -> dict:
    event = load_event("eum-audio-voice")
    ogg = (FIXTURES / "voice-note.ogg").read_bytes()
    bridge.twin.register_media(_webhook_message(event)["audio"]["id"], ogg, "audio/ogg")
    bridge.twin.transcripts.register(ogg, transcript, language_code=language)
    return event


def _voice_note(bridge) -> list:
    return _buffered(bridge, _voice_note_event(bridge, VOICE_TRANSCRIPT, "en-US"))


def _voice_note_by_job(bridge) -> list:
    return _buffered(bridge, _voice_note_event(bridge, RUSSIAN_TRANSCRIPT, "ru-RU"))


def _finished_jobs(bridge, _deliver: Callable[[list], None]) -> None:
    """Transcribe announces each job the flush started, once it finishes."""
    names = {c["params"]["TranscriptionJobName"]
             for c in bridge.twin.calls_to("transcribe", "StartTranscriptionJob") if c["status"] == 200}
    for name in sorted(names):
        bridge.invoke(TRANSCRIPTION_JOB, bridge.twin.transcription_job_event(name))


def _transcription_job_event(bridge) -> dict:
    bridge.deliver(_voice_note_event(bridge, RUSSIAN_TRANSCRIPT, "ru-RU"))
    (job,) = bridge.twin.calls_to("transcribe", "StartTranscriptionJob")
    bridge.twin.clear_calls()
    return bridge.twin.transcription_job_event(job["params"]["TranscriptionJobName"])


def _agent_says(content: str) -> Callable[[Any], dict]:
    def prepare(bridge) -> dict:
        contact_id = bridge.open_chat()
        return bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                   content=content, display_name="Jordan")
    return prepare


def _agent_says_to_a_warm_container(bridge) -> dict:
    """As _agent_says, once Connect's echo of the customer's text reached on_connect_event: the
    container knows the chat's connection token and reads the transcript while it claims."""
    contact_id = bridge.open_chat()
    bridge.connect_event(bridge.twin.customer_echo_event(contact_id))
    bridge.twin.clear_calls()
    return bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                               content=AGENT_TEXT, display_name="Jordan")


def _agent_attachment(bridge) -> dict:
    contact_id = bridge.open_chat()
    return bridge.twin.agent_attachment_event(contact_id, name="return-label-4521.pdf",
                                              content_type="application/pdf", data=PDF)


BOT_GREETING = "Hi, I'm the order assistant."
BOT_LIST = sns_message(load_event("connect-interactive-listpicker"))["Content"]
BOT_LIST_BODY = "How can we help you today?\nTap to select an option"
BOT_FOLLOW_UP = "Or type your question and an agent will answer."
INTERACTIVE = "application/vnd.amazonaws.connect.message.interactive"


def _bot_out_of_order() -> tuple[Callable[[Any], dict], Callable[[Any, Callable[[list], None]], None]]:
    """A flow's greeting, its list and a follow-up, which Connect took in that order and SNS
    delivers third, first, second: the follow-up's invocation is the one killed; the greeting's
    and the list's events come after its retries."""
    earlier: list[dict] = []

    def says(bridge, contact_id: str, content: str, content_type: str = "text/plain") -> dict:
        return bridge.twin.connect_streaming_event(contact_id, participant_role="SYSTEM",
                                                   display_name="BOT", content=content,
                                                   content_type=content_type)

    def prepare(bridge) -> dict:
        contact_id = bridge.open_chat()
        earlier[:] = [says(bridge, contact_id, BOT_GREETING), says(bridge, contact_id, BOT_LIST, INTERACTIVE)]
        return says(bridge, contact_id, BOT_FOLLOW_UP)

    def later(bridge, _deliver: Callable[[list], None]) -> None:
        for event in earlier:
            bridge.connect_event(event)

    return prepare, later


_bot_says_out_of_order, _bot_says_the_rest = _bot_out_of_order()


def _chat_ended(bridge) -> dict:
    return bridge.twin.end_chat(bridge.open_chat())


AFTER_END = ("wamid.crash-after-end", 1763000300, "Hello? Anyone?")


def _customer_writes_again(bridge, deliver: Callable[[list], None]) -> None:
    deliver(_buffered(bridge, _texts(AFTER_END)))


def _chat_gone(bridge) -> list:
    contact_id = bridge.open_chat()
    bridge.twin.expire_connections(contact_id)
    bridge.twin.end_chat(contact_id)
    return _buffered(bridge, _texts(AFTER_END))


RETURNING = ("wamid.crash-returning", 1763000400, "It's me again, about order 4521")


def _returning_customer(bridge) -> list:
    """The customer's chat ended over a minute ago (past history_min_age_seconds); they write
    again, and the new chat starts with the past one's history (chalicelib/history.py)."""
    bridge.connect_event(bridge.twin.end_chat(bridge.open_chat()))
    bridge.twin.advance_clock(61)
    return _buffered(bridge, _texts(RETURNING))


def _returning_customer_history_refused(bridge) -> list:
    """As above, on an instance that refuses persistent chat: the chat opens without history."""
    bridge.twin.set_persistent_chat(False)
    return _returning_customer(bridge)


def _burst_webhook(bridge) -> dict:
    return _texts(*BURST)


def _flush_what_was_buffered(bridge, deliver: Callable[[list], None]) -> None:
    deliver(bridge.stream_records())


def _agent_typing(bridge) -> dict:
    return for_contact(load_event("connect-typing-agent"), bridge.open_chat())


def _opening_echo(bridge) -> dict:
    contact_id = bridge.open_chat()
    opening = bridge.twin.contacts[contact_id]["transcript"][0]
    return for_contact(load_event("connect-customer-echo"), contact_id, Id=opening["Id"],
                       Content=opening["Content"])


def _agent_reads(bridge) -> dict:
    echo = _opening_echo(bridge)
    bridge.connect_event(echo)  # the opening message's chat id is learned
    body = json.loads(echo["Records"][0]["Sns"]["Message"])
    bridge.twin.clear_calls()
    return for_contact(load_event("connect-agent-read-receipt"), body["ContactId"],
                       Content=json.dumps({"messageId": body["Id"]}))


def _agent_reads_before_the_echo(bridge) -> dict:
    """The opening message's echo was lost (it came before the chat was stored): the receipt names it."""
    contact_id = bridge.open_chat()
    opening = bridge.twin.contacts[contact_id]["transcript"][0]
    return for_contact(load_event("connect-agent-read-receipt"), contact_id,
                       Content=json.dumps({"messageId": opening["Id"]}))


def _read_status_of_agent_text(bridge, contact_id: str) -> dict:
    """The agent says AGENT_TEXT in the chat; WhatsApp's read status for it."""
    bridge.connect_event(bridge.twin.connect_streaming_event(
        contact_id, participant_role="AGENT", content=AGENT_TEXT, display_name="Jordan"))
    sent = next(s for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text")
    event = status_of_sent(sent, "read")
    bridge.twin.clear_calls()
    return event


def _whatsapp_status(bridge) -> dict:
    """WhatsApp's read status for the agent's message, to become the agent's Read receipt."""
    return _read_status_of_agent_text(bridge, bridge.open_chat())


FIRST_TEXT_WRITTEN_AT = 1762956047
APPROVED_TEMPLATES = ("appointment_reminder (en_US, UTILITY)\norder_update (en_US, UTILITY)\n"
                      "order_update (pt_BR, UTILITY)\nwelcome_back (en_US, MARKETING)")
WINDOW_CLOSED_NOTE = tuple(window.closed_note(FIRST_TEXT_WRITTEN_AT, APPROVED_TEMPLATES).split("\n"))
TEMPLATE_COMMAND = '/template order_update en_US "Ana Souza" #4417 Friday'
TEMPLATE_ECHO = ("[WhatsApp bridge] 📋 Template order_update (en_US) sent to the customer:", "Order update",
                 "Hi Ana Souza, your order #4417 has shipped and arrives Friday.",
                 "Reply to this message to talk to us.")
CAMPAIGN = {"templateName": "welcome_back", "language": "en_US",
            "text": "Welcome back! We have news for you. Reply to chat with us.",
            "attributes": {"campaign": "crash-test"}, "whatsappMessageId": "wamid.crash-template",
            "sentAt": FIRST_TEXT_WRITTEN_AT - 3600}


def _hours_after_first_text(hours: float) -> Callable[[Any], None]:
    def move(bridge) -> None:
        bridge.twin.advance_clock(FIRST_TEXT_WRITTEN_AT + hours * 3600 - bridge.twin.clock.timestamp())
    return move


def _agent_says_at(hours: float, content: str) -> Callable[[Any], dict]:
    """The agent writes `hours` after the customer's first text: outside WhatsApp's window after 24."""
    def prepare(bridge) -> dict:
        contact_id = bridge.open_chat()
        _hours_after_first_text(hours)(bridge)
        return bridge.twin.connect_streaming_event(contact_id, participant_role="AGENT",
                                                   content=content, display_name="Jordan")
    return prepare


CAMPAIGN_REPLY = ("wamid.crash-campaign-reply", 1763000400, "Yes, tell me more")


def _start_conversation(bridge) -> dict:
    """A flow asks for a template to a customer with no chat; the customer's reply comes later."""
    return {"customerNumber": "+15550100001", "templateName": "welcome_back",
            "phoneNumberId": "phone-number-id-6f17dbb4562b2cd3343a3d0fdec78c75",
            "attributes": {"campaign": "crash-test"}}


def _customer_replies(bridge, deliver: Callable[[list], None]) -> None:
    deliver(_buffered(bridge, _texts(CAMPAIGN_REPLY)))


def _any_minutes_left(unit: str) -> str:
    return re.sub(r"closes in \d+ minutes?", "closes in N minutes", unit)


def _campaign_reply(bridge) -> list:
    """start_conversation sent a template; the customer's reply opens the campaign's chat."""
    boto3.resource("dynamodb").Table(SESSIONS_TABLE).put_item(
        Item={"contactId": f"conversation#{CONVERSATION_ID}", "campaign": CAMPAIGN})
    return _new_chat(bridge)


VOICE_NOTE_WAV = attachment_unit("voice-note-1762956297.wav")

# --- the waiting room: Connect takes one chat, and another customer holds it ---

OCCUPIER_TEXT = ("wamid.crash-occupier", 1762956000, "Is the shop open today?")
SCHEDULED_EVENT = {"version": "0", "id": "crash-schedule", "detail-type": "Scheduled Event",
                   "source": "aws.events", "account": "123456789012", "time": "2025-11-12T14:00:00Z",
                   "region": "us-east-1", "resources": [], "detail": {}}


def _occupied(bridge) -> str:
    """The instance takes one chat at a time, and another customer's chat has it: its contact id."""
    bridge.twin.set_limits(concurrent_chats=1)
    event = _texts(OCCUPIER_TEXT)
    event["Records"][0]["Sns"]["Message"] = event["Records"][0]["Sns"]["Message"].replace(
        "15550100001", "15550100077")
    bridge.deliver(event)
    (contact_id,) = bridge.twin.contacts
    return contact_id


def _refused_start(bridge) -> list:
    _occupied(bridge)
    return _new_chat(bridge)


def _waiting(bridge) -> str:
    """The customer's first text waits for the occupied chat; the occupier's contact id."""
    occupier = _occupied(bridge)
    bridge.deliver(load_event("eum-text"))
    bridge.twin.clear_calls()
    return occupier


def _chat_frees(bridge, deliver: Callable[[list], None]) -> None:
    """The other customer's chat ends, as its agent closes it."""
    occupier = next(iter(bridge.twin.contacts))
    bridge.connect_event(bridge.twin.end_chat(occupier))
    deliver(bridge.stream_records())


def _occupier_leaves(bridge) -> dict:
    return bridge.twin.end_chat(_waiting(bridge))


def _retry_due(bridge) -> dict:
    """The chat was freed outside the bridge's sight; the wait's next attempt is due."""
    bridge.twin.end_chat(_waiting(bridge))
    bridge.twin.advance_clock(60)
    return SCHEDULED_EVENT


def _retry_item(bridge) -> list:
    bridge.invoke(RETRY_WAITING, _retry_due(bridge))
    return bridge.stream_records()


def _flush_retry_items(bridge, deliver: Callable[[list], None]) -> None:
    deliver(bridge.stream_records())


IMAGE_REFUSAL = customer_media.MediaRefusal(
    "image-1762956156.jpg", "image/jpeg", len(JPEG), failures.refusal_reason(ClientError(
        {"Error": {"Code": "ServiceQuotaExceededException"}}, "StartAttachmentUpload")))


def _image_over_the_quota(bridge) -> list:
    bridge.open_chat()
    bridge.twin.set_limits(attachments_per_chat=0)
    return _image(bridge)

# --- customers with usernames (chalicelib/identities.py) ---

BOTH_IDS_TEXT = "Can I change the delivery address?"  # events/eum-text-username-and-number.json
USERNAME_TEXT = "Hi, it's Ana again, from my username now"  # events/eum-text-username.json


def _username_adoption(bridge) -> list:
    """A chat opened under the customer's number; now they write with their number and their
    business-scoped user id, and the flush adopts the chat under the latter."""
    bridge.open_chat()
    return _buffered(bridge, load_event("eum-text-username-and-number"))


def _username_alone(bridge, deliver: Callable[[list], None]) -> None:
    """Then the number disappears from the webhooks: the customer is still in their one chat."""
    deliver(_buffered(bridge, load_event("eum-text-username")))
    opened = len(bridge.twin.calls_to("connect", "StartChatContact"))
    assert len(bridge.twin.contacts) == 1, f"the customer has {len(bridge.twin.contacts)} chats"
    assert opened == 0, f"{opened} StartChatContact calls after the first chat"


NUMBER_ONLY = ("wamid.crash-number-only", 1762956500, "Sent from an old phone")


def _number_alone(bridge) -> list:
    """The customer's chat opened under their business-scoped user id (their first text named
    both ids); now a webhook names the number alone, and its conversation points at that chat."""
    bridge.deliver(load_event("eum-text-username-and-number"))
    bridge.twin.clear_calls()
    return _buffered(bridge, _texts(NUMBER_ONLY))

# --- what AWS and Meta do not document, taken away (emulator/undocumented.py) ---

QUOTED_REPLY = ("wamid.crash-quoted", 1763000600, "Great, thanks")


def _status_of_agent_text(status: str, **undocumented: bool) -> Callable[[Any], dict]:
    """WhatsApp's status for the agent's text, sent and reported with the twin's undocumented
    behaviours as given."""
    def prepare(bridge) -> dict:
        bridge.twin.set_undocumented(**undocumented)
        contact_id = bridge.open_chat()
        bridge.connect_event(bridge.twin.connect_streaming_event(
            contact_id, participant_role="AGENT", content=AGENT_TEXT, display_name="Jordan"))
        sent = next(s for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text")
        event = status_of_sent(sent, status)
        bridge.twin.clear_calls()
        return event
    return prepare


def _status_naming_the_number_of_a_username(bridge) -> dict:
    """The chat moved to the customer's business-scoped user id; WhatsApp's read status for the
    agent's text, sent to the number, names the number alone and carries no callback data."""
    bridge.twin.set_undocumented(callback_data_echo=False)
    contact_id = bridge.open_chat()
    bridge.deliver(load_event("eum-text-username-and-number"))
    return _read_status_of_agent_text(bridge, contact_id)


def _customer_quotes_the_agent(bridge, deliver: Callable[[list], None]) -> None:
    """The customer replies to the agent's text, which their phone names by Meta's id for it."""
    sent = next(s for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text")
    quoted = {**text_from_customer(*QUOTED_REPLY), "context": {"from": "15550100100", "id": sent["wamid"]}}
    deliver(_buffered(bridge, with_messages(load_event("eum-text"), [quoted])))


FLOWS = (
    Flow("new-chat", FLUSH, _new_chat, chat=(FIRST_TEXT,)),
    Flow("open-chat", FLUSH, _open_chat_texts, chat=(FIRST_TEXT,) + tuple(t for *_, t in OPEN_CHAT_TEXTS)),
    Flow("burst", FLUSH, _burst, chat=tuple(t for *_, t in BURST)),
    Flow("image-caption", FLUSH, _image,
         chat=(attachment_unit("image-1762956156.jpg"), "Photo of the damaged box")),
    Flow("voice-note", FLUSH, _voice_note,
         chat=(VOICE_NOTE_WAV, f"🎤 Transcript (en-US): {VOICE_TRANSCRIPT}")),
    Flow("voice-note-job", FLUSH, _voice_note_by_job, settings=JOB_LANGUAGES, later=_finished_jobs,
         chat=(VOICE_NOTE_WAV, f"🎤 Transcript (ru-RU): {RUSSIAN_TRANSCRIPT}")),
    Flow("transcription-job", TRANSCRIPTION_JOB, _transcription_job_event, settings=JOB_LANGUAGES,
         chat=(VOICE_NOTE_WAV, f"🎤 Transcript (ru-RU): {RUSSIAN_TRANSCRIPT}")),
    Flow("receive-burst", RECEIVE, _burst_webhook, later=_flush_what_was_buffered,
         chat=tuple(t for *_, t in BURST)),
    Flow("agent-text", STREAMING, _agent_says(AGENT_TEXT), chat=(FIRST_TEXT,), whatsapp=(AGENT_TEXT,)),
    Flow("agent-text-warm", STREAMING, _agent_says_to_a_warm_container, chat=(FIRST_TEXT,),
         whatsapp=(AGENT_TEXT,)),
    Flow("agent-long-text", STREAMING, _agent_says("\n\n".join(LONG_PARAGRAPHS)), chat=(FIRST_TEXT,),
         whatsapp=LONG_PARAGRAPHS),
    Flow("agent-attachment", STREAMING, _agent_attachment, chat=(FIRST_TEXT,),
         whatsapp=("document: return-label-4521.pdf",)),
    Flow("chat-end", STREAMING, _chat_ended, later=_customer_writes_again,
         chat=(FIRST_TEXT, AFTER_END[2])),
    Flow("chat-gone", FLUSH, _chat_gone, chat=(FIRST_TEXT, AFTER_END[2])),
    Flow("returning-customer", FLUSH, _returning_customer, chat=(FIRST_TEXT, RETURNING[2])),
    Flow("returning-customer-history-refused", FLUSH, _returning_customer_history_refused,
         chat=(FIRST_TEXT, RETURNING[2])),
    Flow("agent-typing", STREAMING, _agent_typing, chat=(FIRST_TEXT,)),
    Flow("opening-echo", STREAMING, _opening_echo, chat=(FIRST_TEXT,)),
    Flow("agent-read", STREAMING, _agent_reads, chat=(FIRST_TEXT,)),
    Flow("agent-read-before-echo", STREAMING, _agent_reads_before_the_echo, chat=(FIRST_TEXT,)),
    Flow("whatsapp-status", RECEIVE, _whatsapp_status, chat=(FIRST_TEXT,), receipts=(f"Read: {AGENT_TEXT}",)),
    Flow("window-closed", STREAMING, _agent_says_at(25, AGENT_TEXT),
         chat=(FIRST_TEXT,) + WINDOW_CLOSED_NOTE),
    Flow("window-warning", STREAMING, _agent_says_at(23.5, AGENT_TEXT),
         chat=(FIRST_TEXT, window.warning_note(FIRST_TEXT_WRITTEN_AT, FIRST_TEXT_WRITTEN_AT + 23.5 * 3600)),
         whatsapp=(AGENT_TEXT,), same_unit=_any_minutes_left),
    Flow("template-command", STREAMING, _agent_says_at(30, TEMPLATE_COMMAND),
         chat=(FIRST_TEXT,) + TEMPLATE_ECHO, whatsapp=("template: order_update",)),
    Flow("start-conversation", START_CONVERSATION, _start_conversation, later=_customer_replies,
         chat=("[WhatsApp bridge] 📋 The business started this conversation with the template "
               "welcome_back (en_US); the customer read:", CAMPAIGN["text"], CAMPAIGN_REPLY[2]),
         whatsapp=("template: welcome_back",)),
    Flow("capacity-wait", FLUSH, _refused_start, later=_chat_frees,
         chat=(OCCUPIER_TEXT[2], FIRST_TEXT), whatsapp=(DEFAULT_BUSY_MESSAGE,)),
    Flow("chat-end-lets-in", STREAMING, _occupier_leaves, later=_flush_retry_items,
         chat=(OCCUPIER_TEXT[2], FIRST_TEXT)),
    Flow("scheduled-retry", RETRY_WAITING, _retry_due, later=_flush_retry_items,
         chat=(OCCUPIER_TEXT[2], FIRST_TEXT)),
    Flow("waiting-retry", FLUSH, _retry_item, chat=(OCCUPIER_TEXT[2], FIRST_TEXT)),
    Flow("file-over-quota", FLUSH, _image_over_the_quota,
         chat=(FIRST_TEXT, customer_media.agent_note(IMAGE_REFUSAL), "Photo of the damaged box"),
         whatsapp=(customer_media.customer_line(IMAGE_REFUSAL),)),
    Flow("campaign-reply", FLUSH, _campaign_reply,
         chat=("[WhatsApp bridge] 📋 The business started this conversation with the template "
               "welcome_back (en_US); the customer read:", CAMPAIGN["text"], FIRST_TEXT)),
    Flow("bot-out-of-order", STREAMING, _bot_says_out_of_order, later=_bot_says_the_rest, chat=(FIRST_TEXT,),
         whatsapp=(BOT_GREETING, f"interactive: {BOT_LIST_BODY}", BOT_FOLLOW_UP)),
    Flow("status-without-callback-data", RECEIVE, _status_of_agent_text("read", callback_data_echo=False),
         chat=(FIRST_TEXT,), receipts=(f"Read: {AGENT_TEXT}",)),
    Flow("status-names-another-id", RECEIVE, _status_of_agent_text("delivered", message_id_is_wamid=False),
         later=_customer_quotes_the_agent,
         chat=(FIRST_TEXT, f'↩ Replying to: "{AGENT_TEXT}"', QUOTED_REPLY[2]),
         receipts=(f"Delivered: {AGENT_TEXT}",)),
    Flow("username-adoption", FLUSH, _username_adoption, later=_username_alone,
         chat=(FIRST_TEXT, BOTH_IDS_TEXT, USERNAME_TEXT)),
    Flow("username-number-alone", FLUSH, _number_alone, chat=(BOTH_IDS_TEXT, NUMBER_ONLY[2])),
    Flow("status-of-a-username-without-callback-data", RECEIVE, _status_naming_the_number_of_a_username,
         chat=(FIRST_TEXT, BOTH_IDS_TEXT), receipts=(f"Read: {AGENT_TEXT}",)),
)
FLOWS_BY_NAME = {flow.name: flow for flow in FLOWS}

