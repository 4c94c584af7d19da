"""DynamoDB tables as the bridge uses them: a client bound to a table's name, and typed values.

The low-level client and the stream records speak the typed form; the bridge's modules do not,
but for the expressions' scalar values, typed by the small `S` and `N` (boto3's serializer is
imported on first use only: see _converters). A `Table` binds a table's name to its client."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from .aws_errors import condition_failed


@dataclass(frozen=True)
class Table:
    """One DynamoDB table and the client that reaches it."""

    client: Any
    name: str

    def update_if(self, **request: Any) -> dict[str, Any] | None:
        """UpdateItem under its ConditionExpression: the response, or None when the condition
        failed (the one way a refused condition reads, whatever it means to the caller)."""
        try:
            return self.client.update_item(TableName=self.name, **request)
        except ClientError as error:
            if condition_failed(error):
                return None
            raise

    def put_if(self, **request: Any) -> bool:
        """PutItem under its ConditionExpression: False when the condition failed."""
        try:
            self.client.put_item(TableName=self.name, **request)
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def transact_if(self, items: list[dict[str, Any]], item: int | None = None) -> bool:
        """TransactWriteItems: False when a condition (of the `item`th one, or any) cancelled it."""
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if condition_failed(error, item):
                return False
            raise
        return True


def S(value: str) -> dict[str, str]:  # noqa: N802 - named as DynamoDB names its types
    return {"S": value}


def N(value: int | float) -> dict[str, str]:  # noqa: N802
    return {"N": str(int(value))}


@lru_cache(maxsize=1)
def _converters() -> tuple[Any, Any]:
    # boto3's converters import boto3 itself, the largest part of a cold start's imports: the
    # first invocation pays for it, not every container's import of the app.
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def to_attribute(value: Any) -> dict[str, Any]:
    return _converters()[0].serialize(value)


def to_attributes(item: dict[str, Any]) -> dict[str, Any]:
    serializer = _converters()[0]
    return {key: serializer.serialize(value) for key, value in item.items()}


def from_attributes(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = _converters()[1]
    return {key: deserializer.deserialize(value) for key, value in item.items()}
