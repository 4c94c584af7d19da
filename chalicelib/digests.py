"""Stable digests, from one hash: S3 key parts and job names without a phone number in them,
and idempotency tokens that a retried call repeats exactly."""
from __future__ import annotations

import hashlib


def short_digest(text: str, length: int = 20) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def client_token(*parts: str) -> str:
    """The same parts give the same token, so Connect recognises a retried call as the same call."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
