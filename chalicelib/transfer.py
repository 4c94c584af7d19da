"""HTTP transfers to and from pre-signed URLs that AWS hands out, and to nowhere else.

A URL is followed only over HTTPS to an AWS host, or to the host of an AWS_ENDPOINT_URL* override
when one is set (a VPC endpoint, or a local emulator), so a forged event cannot make the bridge
upload customer media to, or fetch from, an arbitrary server.
"""
from __future__ import annotations

import os
import urllib.request
from typing import Mapping
from urllib.parse import urlsplit

AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
TIMEOUT_SECONDS = 20


class UnsafeUrl(ValueError):
    """The URL points somewhere the bridge does not send or fetch data."""


class TransferFailed(IOError):
    """The upload or download did not complete."""


def _override_origins(environ: Mapping[str, str]) -> set[tuple[str, str, int | None]]:
    origins = set()
    for name, value in environ.items():
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            parts = urlsplit(value)
            if parts.hostname:
                origins.add((parts.scheme, parts.hostname, parts.port))
    return origins


def check_url(url: str, environ: Mapping[str, str] = os.environ) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host.endswith(AWS_HOST_SUFFIXES):
        return
    if (parts.scheme, host, parts.port) in _override_origins(environ):
        return
    raise UnsafeUrl(f"refusing {parts.scheme}://{host}: not an AWS host or configured endpoint")


def put(url: str, headers: Mapping[str, str], data: bytes) -> None:
    check_url(url)
    request = urllib.request.Request(url, data=data, method="PUT", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if response.status >= 300:
                raise TransferFailed(f"upload answered HTTP {response.status}")
    except OSError as error:
        raise TransferFailed(f"upload failed: {error}") from None


def get(url: str, max_bytes: int) -> bytes:
    check_url(url)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            data = response.read(max_bytes + 1)
    except OSError as error:
        raise TransferFailed(f"download failed: {error}") from None
    if len(data) > max_bytes:
        raise TransferFailed(f"download larger than {max_bytes} bytes")
    return data
