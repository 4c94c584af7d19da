"""HTTP transfers to and from the pre-signed URLs Amazon Connect hands out, and to nowhere else.

The Connect participant API returns Amazon S3 pre-signed URLs: `StartAttachmentUpload` "provides a
pre-signed Amazon S3 URL in response for uploading the file directly to S3", and `GetAttachment`'s
`Url` is a pre-signed URL of the same attachments bucket (botocore's connectparticipant model,
2018-09-07). So a URL is followed only over HTTPS to this Region's S3 endpoint, in the forms
botocore's endpoints.json gives S3 (`s3.<region>.amazonaws.com`; in us-east-1 also the global
`s3.amazonaws.com`), virtual-hosted (`<bucket>.s3.<region>.amazonaws.com`) or path-style; or to the
exact origin of an AWS_ENDPOINT_URL* override (a VPC endpoint, or a local emulator). Amazon Connect
runs only in the `aws` and `aws-us-gov` partitions, whose DNS suffix is amazonaws.com.

A redirect is refused, never followed: only the first URL is checked, so following one would let
the response send customer media, or fetch content, anywhere. Refusals are logged by host only:
the query string of a pre-signed URL is a credential.
"""
from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from typing import Mapping
from urllib.parse import urlsplit

from . import logs

TIMEOUT_SECONDS = 20
# One DNS label: a bucket name with dots cannot match the wildcard certificate over HTTPS, so S3
# does not hand those out virtual-hosted.
_BUCKET_LABEL = r"(?:[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\.)?"
_GLOBAL_S3_REGION = "us-east-1"


class UnsafeUrl(ValueError):
    """The URL points somewhere the bridge does not send or fetch data."""


class TransferFailed(IOError):
    """The upload or download did not complete; `status` is the HTTP status that refused it, if
    one did."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RedirectRefused(TransferFailed):
    """The server answered with a redirect, which the bridge does not follow."""


def _region(environ: Mapping[str, str]) -> str:
    return environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""


def _s3_host_pattern(region: str) -> re.Pattern[str] | None:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        return None
    endpoints = [re.escape(f"s3.{region}.amazonaws.com")]
    if region == _GLOBAL_S3_REGION:
        endpoints.append(re.escape("s3.amazonaws.com"))
    return re.compile(_BUCKET_LABEL + "(?:" + "|".join(endpoints) + ")")


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
    s3_hosts = _s3_host_pattern(_region(environ))
    if parts.scheme == "https" and parts.port in (None, 443) and s3_hosts and s3_hosts.fullmatch(host):
        return
    if (parts.scheme, host, parts.port) in _override_origins(environ):
        return
    logs.warning("transfer_refused", scheme=parts.scheme, host=host, region=_region(environ))
    raise UnsafeUrl(f"refusing {parts.scheme}://{host}: not this Region's S3 or a configured endpoint")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        logs.warning("transfer_redirect_refused", method=req.get_method(), status=code,
                     host=urlsplit(req.full_url).hostname, location_host=urlsplit(newurl).hostname)
        raise RedirectRefused(f"{req.get_method()} answered HTTP {code} (redirect), not followed")


_opener = urllib.request.build_opener(_RefuseRedirects)


def put(url: str, headers: Mapping[str, str], data: bytes) -> None:
    check_url(url)
    request = urllib.request.Request(url, data=data, method="PUT", headers=dict(headers))
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            if response.status >= 300:
                raise TransferFailed(f"upload answered HTTP {response.status}", response.status)
    except TransferFailed:
        raise
    except urllib.error.HTTPError as error:
        raise TransferFailed(f"upload answered HTTP {error.code}", error.code) from None
    except OSError as error:
        raise TransferFailed(f"upload failed: {error}") from None


def get(url: str, max_bytes: int) -> bytes:
    check_url(url)
    try:
        with _opener.open(url, timeout=TIMEOUT_SECONDS) as response:
            data = response.read(max_bytes + 1)
    except TransferFailed:
        raise
    except OSError as error:
        raise TransferFailed(f"download failed: {error}") from None
    if len(data) > max_bytes:
        raise TransferFailed(f"download larger than {max_bytes} bytes")
    return data
