"""A DynamoDB table's stream, read through dynamodbstreams and shaped as Lambda delivers it.

Lambda's event source mapping hands `flush_buffer` each GetRecords record as JSON: the stream's ARN
added as `eventSourceARN`, `ApproximateCreationDateTime` in epoch seconds, binary attribute values
in base64. The tests, the sandbox's stream poller and the benchmark all read the buffer table's
stream through `StreamReader`, so the handler sees the same records wherever it runs.
"""
from __future__ import annotations

import base64
import datetime
from typing import Any

import boto3

RECORDS_PER_READ = 1000  # GetRecords' maximum


class StreamReader:
    """Every shard of one stream, each read on from where the last `read()` left it.

    A shard is read from its start (TRIM_HORIZON), unless `skip_existing()` positioned it at its end
    first. A closed shard read to its end is not read again.
    """

    def __init__(self, stream_arn: str, client: Any = None) -> None:
        self.stream_arn = stream_arn
        self._client = client or boto3.client("dynamodbstreams")
        self._iterators: dict[str, str | None] = {}

    def skip_existing(self) -> None:
        """Positions the shards there are now at their end: only later records will be read."""
        for shard_id in self._shard_ids():
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._iterator(shard_id, "LATEST")

    def read(self) -> list[dict]:
        """The records written since the last read, in each shard's order, shaped as Lambda's."""
        records: list[dict] = []
        for shard_id in self._shard_ids():
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._iterator(shard_id, "TRIM_HORIZON")
            iterator = self._iterators[shard_id]
            if iterator is None:
                continue
            response = self._client.get_records(ShardIterator=iterator, Limit=RECORDS_PER_READ)
            self._iterators[shard_id] = response.get("NextShardIterator")
            records.extend(lambda_record(record, self.stream_arn) for record in response["Records"])
        return records

    def _shard_ids(self) -> list[str]:
        description = self._client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def _iterator(self, shard_id: str, kind: str) -> str:
        return self._client.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=kind)["ShardIterator"]


def lambda_record(record: dict, stream_arn: str) -> dict:
    """One GetRecords record as Lambda delivers it: JSON types, epoch seconds, the source ARN."""
    shaped = _jsonable(record)
    shaped["eventSourceARN"] = stream_arn
    return shaped


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return value
