"""The account's limits the twin enforces, so the bridge's tests see what production sees.

Each limit is off (None) unless set, except the attachments per chat: a fixed feature limit of
Connect, on by default. A count is a number; a rate is (requests per second, burst), a token bucket
on the twin's clock, full when set, so a test moves it on with Twin.advance_clock instead of
sleeping. Where each is enforced, and what its value is on a real account, is told there:
connect.py (concurrent chats, StartChatContact's rate, attachments, the Participant Service's
rate) and social.py (WhatsApp's throughput and pair rate).
"""

import threading

DEFAULTS = {
    # Concurrent active chats per instance (Connect service quota; 100 on older accounts).
    "concurrent_chats": None,
    # StartChatContact's rate (Connect API throttling quota: 5 per second, burst 8, per account).
    "start_chat_rate": None,
    # Attachments per chat conversation (Connect feature specification: 35, not adjustable).
    "attachments_per_chat": 35,
    # Every Participant Service operation's own rate, per instance.
    "participant_rate": None,
    # SendWhatsAppMessage per business number (Meta's throughput: 80 messages per second).
    "whatsapp_rate": None,
    # SendWhatsAppMessage per business number and customer (Meta's pair rate: 1 every 6 s, burst 45).
    "whatsapp_pair_rate": None,
}
_COUNTS = ("concurrent_chats", "attachments_per_chat")


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; full when made."""

    def __init__(self, rate, burst, now):
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = now

    def take(self, now):
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Limits:
    """The current values (DEFAULTS' names) and one token bucket per rate and key."""

    def __init__(self, clock):
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._values = dict(DEFAULTS)
            self._buckets = {}

    def values(self):
        with self._lock:
            return dict(self._values)

    def get(self, name):
        with self._lock:
            return self._values[name]

    def set(self, **values):
        """Changes the named limits only; None turns one off. A rate set anew starts full."""
        unknown = sorted(set(values) - set(DEFAULTS))
        if unknown:
            raise TypeError(f"Unknown limits {unknown}; known: {sorted(DEFAULTS)}")
        checked = {name: _check(name, value) for name, value in values.items()}
        with self._lock:
            self._values |= checked
            self._buckets = {key: bucket for key, bucket in self._buckets.items() if key[0] not in checked}

    def allow(self, name, key=None):
        """Takes one token from the bucket of rate `name` for `key`; False when it is empty. A rate
        that is off always allows."""
        now = self._clock.timestamp()
        with self._lock:
            rate = self._values[name]
            if rate is None:
                return True
            bucket = self._buckets.get((name, key))
            if bucket is None:
                bucket = self._buckets[(name, key)] = TokenBucket(*rate, now)
            return bucket.take(now)


def _check(name, value):
    if value is None:
        return None
    if name in _COUNTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a count (an integer from 0) or None, got {value!r}")
        return value
    try:
        rate, burst = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (requests per second, burst) or None, got {value!r}") from None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (rate, burst)) \
            or rate <= 0 or burst < 1:
        raise ValueError(f"{name} needs a rate above 0 and a burst of at least 1, got {value!r}")
    return (rate, burst)
