"""SNS HTTP(S) subscriptions delivered the way SNS delivers them, and Connect's streaming publisher.

moto 5.2.5 posts HTTP notifications synchronously inside the Publish call and leaves their
MessageAttributes out. Real SNS answers Publish at once, delivers in the background, keeps the
attributes in the notification, and retries an endpoint that is down or answers 5xx. Connect
streaming relies on the attributes (MessageVisibility lives only there), so the twin restores
them; a subscriber may call back into the twin while it handles a notification, which only
background delivery allows.

Nor does a standard topic keep order: only FIFO topics deliver "in a strict order" (SNS Developer
Guide, "Amazon SNS message grouping for FIFO topics"), and Connect streams to a standard topic
(StartContactStreaming refuses a FIFO one). By default the twin delivers one notification at a
time in publish order, which keeps tests exact; `reorder(seconds)` makes each delivery wait a
random time up to `seconds`, on a thread of its own, so deliveries overtake one another and run
side by side, as SNS's do (the sandbox turns it on).
"""

import json
import logging
import queue
import random
import threading
import time

import requests
from botocore.config import Config
from moto.sns.models import Subscription

from emulator.moto_server import internal_client

logger = logging.getLogger(__name__)

# SNS's default HTTP delivery policy retries three times without delay; a few short pauses give
# a local endpoint that is still starting (or reloading) the time it needs.
RETRY_DELAYS_SECONDS = (0.5, 1.0, 2.0, 4.0)

_original_publish = Subscription.publish
_deliveries: "queue.Queue[tuple[str, dict]]" = queue.Queue()
_worker_lock = threading.Lock()
_worker: threading.Thread | None = None
# 0: in publish order, one at a time; otherwise each delivery's random delay's upper bound.
_reorder_seconds = 0.0


def reorder(seconds: float) -> None:
    """Deliveries from now on wait a random time up to `seconds` each, side by side, and so
    arrive in any order; 0 restores one at a time, in publish order. Process-wide, as install()."""
    global _reorder_seconds
    if seconds < 0:
        raise ValueError("seconds must be 0 or more")
    _reorder_seconds = float(seconds)


def install():
    """Replaces moto's HTTP delivery in this process (idempotent); other protocols are untouched."""
    Subscription.publish = _publish


def _publish(self, message, message_id, subject=None, message_attributes=None, group_id=None,
             deduplication_id=None, message_structure=None):
    if self.protocol not in ("http", "https"):
        return _original_publish(self, message, message_id, subject, message_attributes, group_id,
                                 deduplication_id, message_structure)
    if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
        message_attributes, message
    ):
        return None
    if message_structure == "json":
        message = self._parse_message_structure(message, self.protocol)
    post_data = self.get_post_data(message, message_id, subject, message_attributes=message_attributes)
    if _reorder_seconds:
        delay = random.uniform(0, _reorder_seconds)
        threading.Thread(target=_deliver_after, args=(delay, self.endpoint, post_data),
                         name="sns-http-delivery-reordered", daemon=True).start()
        return None
    _start_worker()
    # One worker delivers in publish order, which keeps a chat's items in order for the subscriber.
    _deliveries.put((self.endpoint, post_data))
    return None


def _deliver_after(delay, endpoint, post_data):
    time.sleep(delay)
    _deliver(endpoint, post_data)


def _start_worker():
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_deliver_forever, name="sns-http-delivery", daemon=True)
            _worker.start()


def _deliver_forever():
    while True:
        endpoint, post_data = _deliveries.get()
        _deliver(endpoint, post_data)


def _deliver(endpoint, post_data):
    body = json.dumps(post_data)
    headers = {
        "Content-Type": "text/plain; charset=UTF-8",
        "x-amz-sns-message-type": post_data["Type"],
        "x-amz-sns-message-id": post_data["MessageId"],
        "x-amz-sns-topic-arn": post_data["TopicArn"],
    }
    for delay in (0.0,) + RETRY_DELAYS_SECONDS:
        time.sleep(delay)
        try:
            response = requests.post(endpoint, data=body.encode(), headers=headers, timeout=60)
        except requests.RequestException as error:
            outcome = repr(error)
        else:
            if response.status_code < 500:
                return
            outcome = f"HTTP {response.status_code}"
        logger.warning("SNS delivery to %s failed (%s)", endpoint, outcome)
    logger.error("SNS delivery to %s given up: message %s", endpoint, post_data["MessageId"])


class StreamingPublisher:
    """What Connect does with a contact's ChatStreamingConfiguration: publishes each item to the
    SNS topic, body as the message and the item's facts as String attributes.

    Publishing happens on one background thread, in order, outside the emulator's locks: Connect
    streams asynchronously, and the subscriber (the bridge) calls Connect back while it handles
    an item.
    """

    def __init__(self, sns_endpoint_url, region="us-east-1"):
        self._sns = internal_client("sns", sns_endpoint_url, region,
                                    Config(retries={"mode": "standard", "total_max_attempts": 3}))
        # Connect's own calls are not the product's: kept out of the call log and the pacing.
        self._queue: queue.Queue[tuple[str, str, dict] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="connect-streaming", daemon=True)
        self._thread.start()

    def publish(self, topic_arn, body, attributes):
        self._queue.put((topic_arn, json.dumps(body, separators=(",", ":"), ensure_ascii=False), attributes))

    def wait_idle(self, timeout=10.0):
        """Blocks until everything queued so far was published (for tests)."""
        done = threading.Event()
        self._queue.put(("", "", {"_done": done}))
        return done.wait(timeout)

    def _run(self):
        while True:
            topic_arn, message, attributes = self._queue.get()
            if "_done" in attributes:
                attributes["_done"].set()
                continue
            try:
                self._sns.publish(
                    TopicArn=topic_arn,
                    Message=message,
                    MessageAttributes={
                        name: {"DataType": "String", "StringValue": value}
                        for name, value in attributes.items()
                    },
                )
            except Exception:
                logger.exception("Connect streaming publish to %s failed", topic_arn)
