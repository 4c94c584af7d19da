"""Agent, bot and flow messages reach the customer in the order Connect took them.

SNS does not keep order, and Lambda runs the events it delivers side by side: a bot's greeting,
its list and its follow-up, published within milliseconds, reach on_connect_event in any order.
Connect knows the order. GetTranscript (Participant Service, on the customer's connection token,
which the session holds) lists the chat's items in the order Connect took them, and Connect
stores a message before it streams it, so a transcript read once a message's event has arrived
holds that message and every one before it.

The decision. When an agent or bot message arrives and its claim is taken (claims.py), the bridge
reads the transcript from the newest item backwards and first sends, oldest first, every earlier
message the customer may see that the session does not record as sent. Each goes through the
path its own event would have taken (outbound.py: the 24-hour window, /template commands,
attachments), and each is claimed first, so its own event, arriving later or at the same time,
finds it sent, and two invocations never send one message. A message another invocation
claimed a moment ago (it is sending it, on its own or ahead of a later one) is waited for: its
claim is tried again after short pauses, up to WAIT_SECONDS for the whole arriving message;
past that, the arriving message's claim is given back and Lambda retries the event. An older
claim belongs to an invocation that died, and is not waited for: Lambda's retry comes after its
lock expired. While holding its own message, an invocation waits only for earlier ones, so
waits cannot form a cycle. A crash between any two calls leaves claims that expire (outbound's
lock), and the retry reads the transcript again: nothing is lost, nothing overtakes an earlier
message.

Which messages count: what outbound sends when their own event arrives (streaming.is_for_customer
and is_attachment_for_customer): agent, flow and bot texts, interactive messages and
attachments; not the customer's own, not events. The transcript names no visibility; the one
read here is the customer's own, which holds only what the customer may see (not documented;
Amazon's customer chat widget shows GetTranscript's items as they come, so a message for agents
only cannot be among them; the twin serves it that way).

Where the reading stops: at the first earlier message already sent (whatever came before it was
sent before it, by this same rule), at an item older than the session (Connect took it before
the bridge stored the chat; its event found no session and was dropped, and is not sent late),
at an item of a past contact (RelatedContactId, persistent chats), or at the chat's start. Pages
hold 100 items (GetTranscript's largest MaxResults), so a chat of hundreds of messages costs one
page unless a hundred items came after its last sent message.

Cost: one GetTranscript per agent or bot message whose claim is taken, so an agent reply costs
two calls before the send (the claim, the transcript; side by side in a warm container) where it
cost one, and one write after.
The transcript cannot be proven unneeded from the session: a message Connect took whose event
SNS has not delivered yet is known only to Connect. A redelivery, and a message an earlier one
already sent ahead of itself, stop at their claim and read no transcript (one read ahead of the
claim, when the container knows the chat but did not see the message sent). An earlier message
sent ahead costs what its own event would (claim, send, completion), and the arriving message
then reads its session again (one GetItem), as the earlier sends left it.

The claim and the transcript together, then the send. The send must wait for both: for the
claim, or a redelivery sends twice; for the transcript, or an earlier message not sent yet is
overtaken. The transcript read itself needs no claim (it is a read, and any read after the
message's event arrived holds every earlier message), only the chat's connection token, which
the session item holds. A warm container that read the session before (the claim of an earlier
reply, the customer's echo, the agent's typing or read receipt) knows the token
(connection_hints.py), and reads the transcript's newest page while the claim is taken: one
round trip before the send. What it read counts only once the claim is taken, and for the
claimed session's chat; a refused claim discards it, and a token Connect refuses costs the read
after the claim, on the claimed session's token. A container that does not know the token
claims first and reads after. After the send, the completion and the blue ticks for what the
agent answered need nothing of each other and go out together (outbound.py).

Not ordered: a message whose chat has ended (its session holds no connection token; it is sent
as it comes, as before), and one the transcript does not hold (sent alone, logged).
"""
from __future__ import annotations

import json
import time
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any, Callable

from . import chat_connection, claims, connect, logs
from .runtime import Runtime
from .sessions import Session
from .streaming import (
    MalformedStreamingEvent, StreamingItem, is_attachment_for_customer, is_for_customer,
    parse_streaming_record,
)

# How long an arriving message waits, in all, for earlier ones other invocations are sending
# (a text takes a fraction of a second, an attachment a few); on_connect_event's timeout is 60 s.
WAIT_SECONDS = 20.0
WAIT_PAUSES_SECONDS = (0.1, 0.2, 0.3, 0.5, 1.0)
# The fields of a transcript item that a streaming event carries too.
STREAMED_FIELDS = ("AbsoluteTime", "Content", "ContentType", "Attachments", "Id", "Type",
                   "ParticipantId", "DisplayName", "ParticipantRole", "ContactId")


# One page of the transcript, newest item first, and the token of the page before it.
Page = tuple[list[dict[str, Any]], str | None]


class OrderUnknown(Exception):
    """The chat's order cannot be read: the message goes out alone, as it came."""


class ReadAhead:
    """The transcript's newest page, read on `pool` while the item's claim is taken, on the
    connection token the container remembers for its chat (connection_hints.py)."""

    def __init__(self, runtime: Runtime, item: StreamingItem, connection_token: str,
                 pool: Executor) -> None:
        self.contact_id = item.initial_contact_id
        self._runtime = runtime
        self._token = connection_token
        self._page: Future[Page] = pool.submit(connect.transcript_page, runtime.clients.participant,
                                               connection_token)

    @staticmethod
    def start(runtime: Runtime, item: StreamingItem, pool: Executor) -> ReadAhead | None:
        """None when the container does not know the chat, or saw the item sent already."""
        token = runtime.caches.connection_hints.token(item.initial_contact_id, item.id)
        return ReadAhead(runtime, item, token, pool) if token else None

    def first_page(self, connection_token: str) -> Page:
        """The page read ahead, as the claimed session's `connection_token` would read it:
        TokenRefused when Connect refused that same token (chat_connection.with_connection renews it), a
        read of its own when it refused another one (a token renewed since)."""
        try:
            return self._page.result()
        except connect.TokenRefused:
            if connection_token == self._token:
                raise
            logs.info("remembered_connection_token_refused", contactId=self.contact_id)
        return connect.transcript_page(self._runtime.clients.participant, connection_token)


def counts(item: StreamingItem) -> bool:
    """A message the customer is sent when its own event arrives: it keeps a place in the order."""
    return is_for_customer(item) or is_attachment_for_customer(item)


def earlier_unsent(runtime: Runtime, claimed: claims.Claim, item: StreamingItem,
                   read_ahead: ReadAhead | None = None) -> tuple[Session, list[StreamingItem]]:
    """The messages Connect took before `item` that the customer may see and the claim's session
    does not record as sent, oldest first, with the session (its connection token renewed if
    Connect refused it). `read_ahead`: the newest page, read while the claim was taken, for the
    claim's chat. OrderUnknown when the chat has ended or the transcript lacks `item`."""
    if read_ahead is not None and read_ahead.contact_id != claimed.session.contact_id:
        read_ahead = None  # the claim took another contact's session (a transferred contact)
    session = claimed.session
    earlier: list[StreamingItem] = []
    found = False
    next_token: str | None = None
    while True:
        def read(token: str, page_token: str | None = next_token,
                 ahead: ReadAhead | None = read_ahead) -> Page:
            if ahead is not None:
                return ahead.first_page(token)
            return connect.transcript_page(runtime.clients.participant, token, page_token)

        try:
            session, (page, next_token) = chat_connection.with_connection(runtime, session, read)
        except chat_connection.ChatGone:
            raise OrderUnknown("chat_ended") from None
        read_ahead = None
        for entry in page:
            if entry.get("Id") == item.id:
                found = True
                continue
            if entry.get("RelatedContactId") or _before(entry, session.created_at):
                return _result(session, earlier, found)
            message = _as_streaming_item(entry, session.contact_id)
            if message is None or not counts(message):
                continue
            if message.id in claimed.completed:
                return _result(session, earlier, found)
            if found:
                earlier.append(message)
        if not next_token:
            return _result(session, earlier, found)


def claim_waiting(runtime: Runtime, take: Callable[[], claims.Claim], lock_seconds: int,
                  deadline: float) -> claims.Claim:
    """`take` a message's claim; while a live invocation holds it (its claim is younger than
    WAIT_SECONDS: it is sending the message now), try again after short pauses until `deadline`
    (time.monotonic()). A claim older than that belongs to an invocation that died or is stuck,
    whose lock Lambda's retry outlasts: ClaimInProgress at once. AlreadySent and UnknownSession
    as `take` raises them."""
    pauses = iter(WAIT_PAUSES_SECONDS)
    while True:
        try:
            return take()
        except claims.ClaimInProgress as busy:
            pause = next(pauses, WAIT_PAUSES_SECONDS[-1])
            taken_at = busy.until - lock_seconds
            if runtime.clock() - taken_at >= WAIT_SECONDS or time.monotonic() + pause > deadline:
                raise
            logs.info("waiting_for_message_in_progress", connectMessageId=str(busy))
            time.sleep(pause)


def _result(session: Session, earlier: list[StreamingItem],
            found: bool) -> tuple[Session, list[StreamingItem]]:
    if not found:
        raise OrderUnknown("not_in_transcript")
    return session, earlier[::-1]


def _before(entry: dict[str, Any], created_at: int) -> bool:
    """Connect took the item before the session was stored (whole seconds; 0: not known)."""
    if not created_at or not isinstance(entry.get("AbsoluteTime"), str):
        return False
    try:
        taken = datetime.fromisoformat(entry["AbsoluteTime"].replace("Z", "+00:00"))
    except ValueError:
        return False
    return taken.timestamp() < created_at


def _as_streaming_item(entry: dict[str, Any], contact_id: str) -> StreamingItem | None:
    """A transcript item read the way its streaming event is (streaming.parse_streaming_record),
    so both meet the same checks. No MessageVisibility: the customer's transcript holds only what
    the customer may see, which an event without one means too."""
    body = {name: entry[name] for name in STREAMED_FIELDS if name in entry}
    body["InitialContactId"] = contact_id
    try:
        return parse_streaming_record({"Sns": {"Message": json.dumps(body), "MessageAttributes": {}}})
    except MalformedStreamingEvent as error:
        logs.warning("transcript_item_not_understood", contactId=contact_id,
                     connectMessageId=str(entry.get("Id", ""))[:256], reason=str(error))
        return None
