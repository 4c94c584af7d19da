"""DynamoDB's typed attribute values to and from plain Python values.

The low-level client and the stream records speak the typed form; the bridge's modules do not."""
from __future__ import annotations

from functools import lru_cache
from typing import Any


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
