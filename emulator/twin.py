"""The local AWS twin: moto for the services it has, the project's emulator for the rest."""

import urllib.request

from emulator.app import EmulatorApp
from emulator.calllog import CallLog
from emulator.clock import Clock
from emulator.connect import DEFAULT_ATTACHMENT_EXTENSIONS, DEFAULT_ATTACHMENT_MAX_BYTES, ConnectEmulator
from emulator.connect_admin import ConnectAdmin
from emulator.events import StreamingEvents
from emulator.iam import Iam
from emulator.latency import CallPacing
from emulator.limits import Limits
from emulator.moto_server import create_moto_app
from emulator.serving import BackgroundServer
from emulator.sns_delivery import StreamingPublisher
from emulator.sns_delivery import install as install_sns_http_delivery
from emulator.sns_delivery import reorder as reorder_sns_http_delivery
from emulator.social import SocialEmulator
from emulator.transcribe import TranscribeEmulator
from emulator.undocumented import Undocumented

MOTO_SERVICES = ("DYNAMODB", "DYNAMODB_STREAMS", "S3", "SNS", "SSM", "TRANSCRIBE")
EMULATED_SERVICES = ("CONNECT", "CONNECTPARTICIPANT", "SOCIALMESSAGING")


class Twin:
    """Both servers on 127.0.0.1. Ports 0 pick free ones.

    `instances` maps Connect instance ids to their contact flow ids. With `publish_streaming`,
    Connect publishes every item of a chat to the chat's streaming SNS topic in moto, as the real
    service does (the local sandbox); otherwise streaming events are only returned to the caller
    (the tests invoke the handler themselves). With `reorder_deliveries_seconds`, SNS delivers each
    notification to an HTTP endpoint after a random delay up to that, side by side with the
    others, so they arrive in any order, as a standard topic's do (emulator/sns_delivery.py; the
    sandbox sets it, tests keep the default 0: one at a time, in order).

    `clock` is the one time Connect and End User Messaging Social read; with `clock_start`
    (epoch seconds) it begins there, and returns there on reset(), instead of at the wall clock.

    The account's limits (set_limits) are off but for Connect's 35 attachments per chat, as on
    start and after reset().

    `iam` (emulator/iam.py) holds the account's roles: a call signed with a role's access key is
    refused unless the role allows it; reset() forgets the roles.
    """

    def __init__(
        self,
        *,
        moto_port=0,
        emulator_port=0,
        instances=None,
        max_message_bytes=16384,
        attachment_extensions=DEFAULT_ATTACHMENT_EXTENSIONS,
        attachment_max_bytes=DEFAULT_ATTACHMENT_MAX_BYTES,
        account_id="123456789012",
        region="us-east-1",
        publish_streaming=False,
        clock_start=None,
        reorder_deliveries_seconds=0.0,
    ):
        install_sns_http_delivery()
        reorder_sns_http_delivery(reorder_deliveries_seconds)
        self.clock = Clock(clock_start)
        self._limits = Limits(self.clock)
        self.call_log = CallLog()
        self.pacing = CallPacing()
        # The latency the twin was started with; reset() returns to it.
        self.latency_seconds = 0.0
        self.iam = Iam(account_id, region)
        self.transcripts = TranscribeEmulator(self.call_log, self.iam, account_id, region)
        self._moto = BackgroundServer(
            self.pacing.wrap(create_moto_app(self.call_log, self.iam, self.transcripts)), moto_port
        )
        self.transcripts.s3_endpoint_url = self.moto_url
        self.connect = ConnectEmulator(
            instances=instances,
            max_message_bytes=max_message_bytes,
            attachment_extensions=attachment_extensions,
            attachment_max_bytes=attachment_max_bytes,
            clock=self.clock,
            limits=self._limits,
        )
        # What an operator reads about instances, flows and storage (make doctor).
        self.connect_admin = ConnectAdmin(self.connect, account_id, region)
        self._undocumented = Undocumented()
        self.social = SocialEmulator(self.moto_url, region, clock=self.clock, limits=self._limits,
                                     undocumented=self._undocumented)
        self.streaming = StreamingEvents(self.connect, account_id, region, undocumented=self._undocumented)
        # A chat the 5-minute connection rule ends streams chat.ended, as any ended chat does.
        self.connect.on_chat_ended = self.streaming.chat_ended
        if publish_streaming:
            self.streaming.publisher = StreamingPublisher(self.moto_url, region)
            self.connect.on_customer_item = self.streaming.customer_item
        self._app = EmulatorApp(self)
        self._emulator = BackgroundServer(self.pacing.wrap(self._app), emulator_port)
        self.connect.base_url = self.emulator_url

    @property
    def moto_url(self):
        return self._moto.url

    @property
    def emulator_url(self):
        return self._emulator.url

    def start(self):
        self._moto.start()
        self._emulator.start()
        return self

    def stop(self):
        self._emulator.stop()
        self._moto.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def endpoint_env(self):
        env = {f"AWS_ENDPOINT_URL_{name}": self.moto_url for name in MOTO_SERVICES}
        env |= {f"AWS_ENDPOINT_URL_{name}": self.emulator_url for name in EMULATED_SERVICES}
        return env

    # --- call log ---

    @property
    def calls(self):
        return self.call_log.entries()

    def calls_to(self, service, operation=None):
        return self.call_log.entries(service, operation)

    def clear_calls(self):
        self.call_log.clear()

    def reset(self):
        """Empties moto (all its backends), the emulator's state, its faults and the call log;
        the clock is back at its start (the wall clock without clock_start); End User Messaging
        Social has only the reference account's templates again; the limits are the defaults,
        and every undocumented behaviour is on."""
        request = urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        self.clock.reset()
        self._limits.reset()
        self._undocumented.reset()
        self.connect.reset()
        self.connect_admin.reset()
        self.social.reset()
        self.transcripts.reset()
        self._app.clear_faults()
        self.iam.reset()
        self.pacing.seconds = self.latency_seconds
        self.pacing.reset()
        self.clear_calls()

    # --- emulator state and agent side ---

    @property
    def contacts(self):
        return self.connect.contacts

    @property
    def sent_whatsapp(self):
        return self.social.sent

    def customer_wrote(self, origination_id, customer, timestamp, user_id=None):
        """The customer (a wa_id, or a business-scoped user id when WhatsApp hides their number)
        wrote to the business number at `timestamp` (WhatsApp's epoch seconds), as Meta knows:
        free-form messages reach them until 24 hours after their newest message. `user_id`, with a
        wa_id: the same customer's business-scoped user id, so a message to either reaches them."""
        self.social.customer_wrote(origination_id, customer, timestamp, user_id)

    def add_contact_flow(self, instance_id, flow_id):
        self.connect.add_contact_flow(instance_id, flow_id)

    def register_media(self, media_id, data, mime_type):
        self.social.register_media(media_id, data, mime_type)

    def inject_fault(self, service, operation, code, status=None, message="Injected fault", times=1,
                     after=0):
        """After `after` calls that pass, the next `times` calls of the operation fail with that
        error (status 400 unless given; for transcribe, the error's status in the model)."""
        if service == "transcribe":
            self.transcripts.fail_next(operation, code, message, times, status)
        else:
            self._app.inject_fault(service, operation, code, status or 400, message, times, after)

    def transcription_job_event(self, name):
        """The EventBridge "Transcribe Job State Change" event of a finished job, as Lambda
        delivers it to a Chalice on_cw_event handler."""
        return self.transcripts.job_event(name)

    def expire_connections(self, contact_id):
        """Connection tokens of the contact stop working; its participant token still does."""
        self.connect.expire_connections(contact_id)

    def set_persistent_chat(self, enabled):
        """Whether StartChatContact serves PersistentChat; off, it refuses every request for one
        with InvalidRequestException, as an instance that cannot rehydrate does. On after reset()."""
        self.connect.persistent_chat = enabled

    def end_chat(self, contact_id):
        """Ends the chat, so every token of it is refused; returns the chat-ended streaming event."""
        self.connect.end_chat(contact_id)
        return self.streaming.chat_ended(contact_id)

    # --- the account's limits ---

    @property
    def limits(self):
        """The current limits by name (emulator/limits.py DEFAULTS); None is off."""
        return self._limits.values()

    def set_limits(self, **limits):
        """Sets the named limits only; None turns one off, reset() restores the defaults.

        Counts: `concurrent_chats` (chats not ENDED per instance; StartChatContact answers
        LimitExceededException, 429) and `attachments_per_chat` (35 by default; StartAttachmentUpload
        answers ServiceQuotaExceededException, 402). Rates, each (per second, burst), a token bucket
        on the twin's clock that starts full: `start_chat_rate` (the account's StartChatContact;
        TooManyRequestsException, 429), `participant_rate` (each Participant Service operation in
        each instance; ThrottlingException, 429), `whatsapp_rate` and `whatsapp_pair_rate`
        (SendWhatsAppMessage per business number, and per number and customer;
        ThrottledRequestException, 429, with Meta's 130429 or 131056 in the message). An unknown
        name is a TypeError, a bad value a ValueError.
        """
        self._limits.set(**limits)

    # --- what AWS and Meta do without documenting it ---

    @property
    def undocumented(self):
        """Which undocumented behaviours the twin shows, by name (emulator/undocumented.py)."""
        return self._undocumented.values()

    def set_undocumented(self, **behaviours):
        """Turns the named undocumented behaviours on or off; the strict mode is all three off.
        `callback_data_echo`: statuses carry the message's biz_opaque_callback_data.
        `read_receipts_streamed`: agent_read_receipt and agent_delivered_receipt stream the receipt
        (off: recorded on the message, and None returned instead of the event).
        `message_id_is_wamid`: SendWhatsAppMessage returns the id statuses and the customer's
        replies name (off: each sent record's `wamid` differs from its `messageId`).
        All are on after reset(); an unknown name is a TypeError."""
        self._undocumented.set(**behaviours)

    def active_chats(self, instance_id=None):
        """How many chats (of the instance, or of all) are not ENDED; the chats the 5-minute
        connection rule has ended meanwhile end first."""
        return self.connect.active_chats(instance_id)

    def advance_clock(self, seconds):
        """Moves the twin's one clock forward (Connect's rules and WhatsApp's 24-hour window).
        Chats whose customer was never marked connected (CreateParticipantConnection with
        ConnectParticipant) within 5 minutes of StartChatContact end; returns their chat.ended
        streaming events."""
        self.clock.advance(seconds)
        return [self.streaming.chat_ended(contact_id) for contact_id in self.connect.end_chats_never_connected()]

    def connect_streaming_event(self, contact_id, **item):
        """The SNS Lambda event Connect streams for a message or event in the chat; `item` takes
        StreamingEvents.message's keywords (participant_role, content, content_type, type,
        visibility, display_name, initial_contact_id, participant_id).

        Only content types the chat declared are streamed: an agent's text/markdown on a chat
        without it arrives as text/plain; any other undeclared type raises UndeclaredContentType."""
        return self.streaming.message(contact_id, **item)

    def join_participant(self, contact_id, role="AGENT", *, display_name=None, participant_id=None):
        """A participant joins the chat (agent, supervisor, a second agent with its own
        participant_id); returns the participant.joined streaming event. With more than two
        active participants, receipts are refused (ConflictException)."""
        return self.streaming.participant_joined(
            contact_id, participant_role=role, display_name=display_name, participant_id=participant_id
        )

    def agent_typing(self, contact_id, *, display_name=None):
        """The agent's typing event, shaped like events/connect-typing-agent.json."""
        return self.streaming.typing(contact_id, display_name=display_name)

    def agent_read_receipt(self, contact_id, message_id, *, form="event", display_name=None):
        """The agent read the customer's message `message_id`: recorded in its
        MessageMetadata.Receipts and streamed as `form` "event" (events/connect-agent-read-receipt.json),
        "item_type" (Type MESSAGE_READ) or "metadata" (Type MESSAGEMETADATA)."""
        return self.streaming.receipt(contact_id, message_id, kind="read", form=form, display_name=display_name)

    def agent_delivered_receipt(self, contact_id, message_id, *, form="event", display_name=None):
        """As agent_read_receipt, for delivery (events/connect-agent-delivered-receipt.json)."""
        return self.streaming.receipt(
            contact_id, message_id, kind="delivered", form=form, display_name=display_name
        )

    def customer_echo_event(self, contact_id, message_id=None):
        """Connect's echo of a customer's message (events/connect-customer-echo.json), with the Id
        GetTranscript shows; by default the chat's first customer message, StartChatContact's
        InitialMessage. A twin that publishes streaming has published it already: this one is a
        repeat delivery."""
        contact = self.connect.contacts[contact_id]
        item = next(
            i for i in contact["transcript"]
            if i.get("ParticipantRole") == "CUSTOMER" and i["Type"] == "MESSAGE"
            and message_id in (None, i["Id"])
        )
        return self.streaming.customer_item(contact, item)

    def agent_attachment_event(self, contact_id, *, name, content_type, data, display_name=None):
        """Stores an agent's attachment (GetAttachment serves it) and returns its streaming event."""
        return self.streaming.attachment(
            contact_id, name=name, content_type=content_type, data=data, display_name=display_name
        )
