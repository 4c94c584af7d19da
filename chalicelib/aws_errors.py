"""What an AWS error says: its code and message, read the one way botocore reports them, and
whether it is DynamoDB refusing a write's condition."""
from __future__ import annotations

from botocore.exceptions import ClientError

ACCESS_DENIED = "AccessDeniedException"
CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"


def error_code(error: ClientError) -> str | None:
    return error.response.get("Error", {}).get("Code")


def error_message(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return details.get("Message") or details.get("Code") or "unknown error"


def condition_failed(error: ClientError, item: int | None = None) -> bool:
    """A write refused for its ConditionExpression, or a transaction cancelled because one of its
    items' conditions failed (`item`: that one, by its index in TransactItems): the item's
    cancellation reason is "Conditional Check Failed: Code: ConditionalCheckFailed" (botocore's
    DynamoDB model, TransactionCanceledException), listed in the order of the request's items."""
    code = error_code(error)
    if code == CONDITION_FAILED:
        return True
    if code != TRANSACTION_CANCELED:
        return False
    reasons = error.response.get("CancellationReasons", [])
    if item is not None:
        reasons = reasons[item:item + 1]
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
