"""failures.classify: every error on the way into a chat, told apart once."""
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib import failures, transfer
from chalicelib.media import Reason


def aws_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "AnyOperation")


@pytest.mark.parametrize("error, kind", [
    (aws_error("LimitExceededException"), failures.CAPACITY),
    (aws_error("TooManyRequestsException"), failures.THROTTLED),
    (aws_error("ThrottlingException"), failures.THROTTLED),
    (aws_error("ThrottledRequestException"), failures.THROTTLED),
    (aws_error("ProvisionedThroughputExceededException"), failures.THROTTLED),
    (aws_error("ServiceQuotaExceededException"), failures.PERMANENT),
    (aws_error("ValidationException"), failures.PERMANENT),
    (aws_error("InternalServerException"), failures.FAILING),
    (aws_error("AccessDeniedException"), failures.FAILING),
    (ReadTimeoutError(endpoint_url="https://participant.connect.us-east-1.amazonaws.com"), failures.FAILING),
    (transfer.UnsafeUrl("refusing http://example.test"), failures.PERMANENT),
    (transfer.RedirectRefused("PUT answered HTTP 307 (redirect), not followed"), failures.PERMANENT),
    (transfer.TransferFailed("upload answered HTTP 403", 403), failures.PERMANENT),
    (transfer.TransferFailed("upload answered HTTP 503", 503), failures.FAILING),
    (transfer.TransferFailed("upload failed: connection reset"), failures.FAILING),
    (KeyError("ContactId"), failures.FAILING),
])
def test_each_error_has_one_kind(error, kind):
    assert failures.classify(error) == kind


def test_the_agent_reads_why_a_file_is_not_attached_and_the_log_a_fixed_code():
    assert failures.refusal_reason(aws_error("ServiceQuotaExceededException")) == Reason(
        "attachment_quota_reached",
        "this chat already holds as many files as Amazon Connect allows in one chat (35)")
    assert failures.refusal_reason(aws_error("ValidationException")) == Reason(
        "connect_refused", "Amazon Connect refused it (ValidationException)")
    assert failures.refusal_reason(transfer.TransferFailed("upload answered HTTP 403", 403)) == Reason(
        "upload_refused", "Amazon Connect's storage refused the upload (HTTP 403)")


def test_a_log_names_the_code_never_the_message():
    assert failures.name(aws_error("ValidationException", "participant 15550100001 sent x")) == (
        "ValidationException")
    assert failures.name(KeyError("15550100001")) == "KeyError"
