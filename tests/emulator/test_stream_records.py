"""The one stream reader of tests, sandbox and benchmark: records as Lambda delivers them."""
import base64
import json
import time

from emulator.stream_records import StreamReader


def buffer_table(sdk) -> str:
    return sdk("dynamodb").create_table(
        TableName="buffer",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]


def put(sdk, key: str, **attributes) -> None:
    sdk("dynamodb").put_item(TableName="buffer", Item={"pk": {"S": key}, **attributes})


def test_a_record_is_shaped_as_lambda_delivers_it(sdk):
    stream_arn = buffer_table(sdk)
    reader = StreamReader(stream_arn, sdk("dynamodbstreams"))
    put(sdk, "m1", body={"B": b"\x00\xffvoice"}, at={"N": "1763000000"})

    (record,) = reader.read()

    assert record["eventSourceARN"] == stream_arn
    assert record["eventName"] == "INSERT"
    created = record["dynamodb"]["ApproximateCreationDateTime"]
    assert isinstance(created, (int, float)) and abs(created - time.time()) < 60
    assert record["dynamodb"]["NewImage"] == {
        "pk": {"S": "m1"}, "body": {"B": base64.b64encode(b"\x00\xffvoice").decode()},
        "at": {"N": "1763000000"}}
    assert json.loads(json.dumps(record)) == record


def test_each_read_goes_on_from_the_last(sdk):
    reader = StreamReader(buffer_table(sdk), sdk("dynamodbstreams"))
    put(sdk, "m1")
    put(sdk, "m2")

    first = reader.read()
    put(sdk, "m3")

    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in first] == ["m1", "m2"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in reader.read()] == ["m3"]
    assert reader.read() == []


def test_skip_existing_reads_only_what_is_written_afterwards(sdk):
    reader = StreamReader(buffer_table(sdk), sdk("dynamodbstreams"))
    put(sdk, "before")

    reader.skip_existing()
    put(sdk, "after")

    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in reader.read()] == ["after"]
