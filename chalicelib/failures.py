"""What an error on the way into a Connect chat means for the conversation: the one place that
tells a wait from a refusal.

- CAPACITY: Amazon Connect cannot take another chat now (its concurrent active chats quota); the
  conversation waits for a free chat.
- THROTTLED: a request rate was exceeded; another attempt a little later succeeds.
- FAILING: a 5xx, a timeout, a broken connection, anything unexpected; retried with backoff.
- PERMANENT: this message can never be taken (a file over the 35-per-chat quota, a file or text
  Connect refuses as invalid, an upload address the bridge will not use); the agent is told
  about it and the conversation goes on.
"""
from __future__ import annotations

from botocore.exceptions import ClientError

from . import transfer
from .aws_errors import error_code
from .media import Reason

CAPACITY = "capacity"
THROTTLED = "throttled"
FAILING = "failing"
PERMANENT = "permanent"

# StartChatContact: "LimitExceededException: The allowed limit for the resource has been
# exceeded" (HTTP 429, botocore's connect model), which is how Connect refuses a chat over the
# instance's concurrent active chats quota.
CAPACITY_CODES = frozenset({"LimitExceededException"})
# Rate limits of the AWS APIs on the delivery path (the models' 429 errors).
THROTTLING_CODES = frozenset({
    "ThrottlingException", "ThrottledRequestException", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded",
})
# Connect participant: "ServiceQuotaExceededException: The number of attachments per contact
# exceeds the quota" (HTTP 402, botocore's connectparticipant model); and the request errors no
# retry changes.
PERMANENT_CODES = frozenset({
    "ServiceQuotaExceededException", "ValidationException", "InvalidParameterException",
    "InvalidRequestException",
})

# What S3 answers a pre-signed PUT it will never take (403 signature or expiry, 400 bad request).
REFUSED_TRANSFER_STATUSES = frozenset({400, 403})


def classify(error: BaseException) -> str:
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in CAPACITY_CODES:
            return CAPACITY
        if code in THROTTLING_CODES:
            return THROTTLED
        if code in PERMANENT_CODES:
            return PERMANENT
        return FAILING
    # A pre-signed URL stays the same on every retry of its token: one the bridge will not follow,
    # or one S3 refuses (an expired or bad signature: 403), is refused again.
    if isinstance(error, (transfer.UnsafeUrl, transfer.RedirectRefused)):
        return PERMANENT
    if isinstance(error, transfer.TransferFailed) and error.status in REFUSED_TRANSFER_STATUSES:
        return PERMANENT
    return FAILING


def name(error: BaseException) -> str:
    """What to log of an error: AWS's code, or the exception's type; never its message."""
    return (error_code(error) if isinstance(error, ClientError) else None) or type(error).__name__


def refusal_reason(error: BaseException) -> Reason:
    """Why a customer's file is not in the chat: a code for the logs, and words the agent and the
    customer read."""
    if isinstance(error, ClientError) and error_code(error) == "ServiceQuotaExceededException":
        return Reason("attachment_quota_reached", "this chat already holds as many files as "
                      "Amazon Connect allows in one chat (35)")
    if isinstance(error, ClientError):
        return Reason("connect_refused", f"Amazon Connect refused it ({error_code(error)})")
    if isinstance(error, transfer.TransferFailed) and error.status:
        return Reason("upload_refused",
                      f"Amazon Connect's storage refused the upload (HTTP {error.status})")
    return Reason("upload_url_refused", "Amazon Connect gave an upload address the bridge does not use")
