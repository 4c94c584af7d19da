"""Stable digests from one hash: key parts free of phone numbers, and idempotency tokens.

S3 key parts and job names carry no phone number; a retried call repeats its token exactly."""
from __future__ import annotations

import hashlib


def short_digest(text: str, length: int = 20) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def client_token(*parts: str) -> str:
    """The same parts give the same token, so Connect recognises a retried call as the same call."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
