def last_call(twin, service, operation):
    return twin.calls_to(service, operation)[-1]


def test_dynamodb_put_item_is_logged_with_its_body(sdk, twin):
    dynamodb = sdk("dynamodb")
    dynamodb.create_table(
        TableName="sessions",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    dynamodb.put_item(TableName="sessions", Item={"pk": {"S": "15550100001"}})

    call = last_call(twin, "dynamodb", "PutItem")
    assert call["params"]["Item"] == {"pk": {"S": "15550100001"}}
    assert (call["status"], call["error"]) == (200, None)


def test_dynamodb_error_code_is_logged(sdk, twin):
    try:
        sdk("dynamodb").get_item(TableName="missing", Key={"pk": {"S": "x"}})
    except sdk("dynamodb").exceptions.ResourceNotFoundException:
        pass

    assert last_call(twin, "dynamodb", "GetItem")["error"] == "ResourceNotFoundException"


def test_dynamodb_streams_client_reaches_moto_streams(sdk, twin):
    dynamodb = sdk("dynamodb")
    table = dynamodb.create_table(
        TableName="buffer",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    dynamodb.put_item(TableName="buffer", Item={"pk": {"S": "m1"}})
    streams = sdk("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    records = streams.get_records(ShardIterator=iterator)["Records"]

    assert records[0]["dynamodb"]["NewImage"] == {"pk": {"S": "m1"}}
    assert last_call(twin, "dynamodbstreams", "GetRecords")["status"] == 200


def test_ssm_get_parameter_is_logged(sdk, twin):
    ssm = sdk("ssm")
    ssm.put_parameter(Name="/bridge/config", Value="{}", Type="String")

    assert ssm.get_parameter(Name="/bridge/config")["Parameter"]["Value"] == "{}"

    assert last_call(twin, "ssm", "GetParameter")["params"] == {"Name": "/bridge/config"}


def test_sns_publish_is_logged_with_form_fields(sdk, twin):
    sns = sdk("sns")
    topic = sns.create_topic(Name="streaming")["TopicArn"]

    sns.publish(TopicArn=topic, Message="hello")

    params = last_call(twin, "sns", "Publish")["params"]
    assert (params["TopicArn"], params["Message"]) == (topic, "hello")


def test_s3_put_object_is_logged_path_style(sdk, twin):
    s3 = sdk("s3")
    s3.create_bucket(Bucket="media")

    s3.put_object(Bucket="media", Key="a/b.ogg", Body=b"x")

    assert last_call(twin, "s3", "PutObject")["params"] == {
        "method": "PUT",
        "bucket": "media",
        "key": "a/b.ogg",
    }


def test_transcribe_is_served(sdk, twin):
    sdk("transcribe").start_transcription_job(
        TranscriptionJobName="voice-1",
        Media={"MediaFileUri": "s3://media/voice.ogg"},
        MediaFormat="ogg",
        IdentifyLanguage=True,
        LanguageOptions=["en-US", "pt-BR"],
    )

    assert last_call(twin, "transcribe", "StartTranscriptionJob")["status"] == 200


def test_reset_empties_moto_and_the_log(sdk, twin):
    sdk("s3").create_bucket(Bucket="gone")

    twin.reset()

    assert sdk("s3").list_buckets()["Buckets"] == []
    assert [c["operation"] for c in twin.calls] == ["ListBuckets"]
