"""The twin enforces IAM: a call signed as a role is held against the role's policy and refused the
way AWS refuses it; a call signed with any other key is not checked."""
from __future__ import annotations

import contextlib
import dataclasses

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.iam import Role
from tests.conftest import (
    ACCOUNT, BUFFER_TABLE, CONFIG_PARAMETER, INSTANCE_ID, MEDIA_BUCKET, PHONE_NUMBER_ARN, REGION,
    SESSIONS_TABLE, STREAMING_TOPIC_ARN, load_event, role_session,
)

SESSIONS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{SESSIONS_TABLE}"
BUFFER_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{BUFFER_TABLE}"
MEDIA_ID = "1234567890123456"


def allow(action: str, resource: str) -> dict:
    return {"Effect": "Allow", "Action": [action], "Resource": resource}


def signed_as(twin, name: str, statements: list[dict], service: str):
    """A client of `service` signing as the role `name`, which the twin knows with `statements`."""
    twin.iam.add_role(name, Role(name, "test-session", statements))
    return role_session(name).client(service)


def refusal(raised: pytest.ExceptionInfo) -> tuple[str, int, str]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_a_handler_whose_role_lacks_an_action_fails_with_access_denied(bridge):
    role = bridge.roles["on_whatsapp_event"]
    without_buffer = [s for s in role.statements if s["Sid"] != "BufferWrite"]
    bridge.twin.iam.add_role(role.name, dataclasses.replace(role, statements=without_buffer))

    with pytest.raises(ClientError) as raised:
        bridge.whatsapp(load_event("eum-text"))

    code, status, message = refusal(raised)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/OnWhatsappEventRole/whatsapp-connect-chat-test-on_whatsapp_event"
        f" is not authorized to perform: dynamodb:PutItem on resource: {BUFFER_ARN}"
        " because no identity-based policy allows the dynamodb:PutItem action")
    (put,) = bridge.twin.calls_to("dynamodb", "PutItem")
    assert (put["status"], put["error"]) == (400, "AccessDeniedException")
    assert boto3.client("dynamodb").scan(TableName=BUFFER_TABLE)["Items"] == []
    assert bridge.twin.iam.take_refusals() == [
        {"role": "OnWhatsappEventRole", "action": "dynamodb:PutItem", "resource": BUFFER_ARN}]


def test_each_function_signs_as_its_own_role(bridge):
    """Clients are the function's own: the flush's role does not lend on_whatsapp_event its grants."""
    bridge.deliver(load_event("eum-text"))  # the flush has created its DynamoDB client
    role = bridge.roles["flush_buffer"]
    bridge.twin.iam.add_role(role.name, dataclasses.replace(role, statements=[]))

    bridge.whatsapp(load_event("eum-image"))  # on_whatsapp_event is unaffected

    assert bridge.twin.iam.take_refusals() == []
    with contextlib.suppress(ClientError):  # however the flush reports it
        bridge.flush()
    assert {r["role"] for r in bridge.twin.iam.take_refusals()} == {"FlushBufferRole"}


@pytest.mark.parametrize("service, method, params, code, status", [
    ("dynamodb", "get_item", {"TableName": SESSIONS_TABLE, "Key": {"contactId": {"S": "c"}}},
     "AccessDeniedException", 400),
    ("ssm", "get_parameter", {"Name": CONFIG_PARAMETER}, "AccessDeniedException", 400),
    ("s3", "get_object", {"Bucket": MEDIA_BUCKET, "Key": "inbound/a.jpg"}, "AccessDenied", 403),
    ("s3", "put_object", {"Bucket": MEDIA_BUCKET, "Key": "inbound/a.jpg", "Body": bytes(70000)},
     "AccessDenied", 403),
    ("connect", "describe_attached_files_configuration",
     {"InstanceId": INSTANCE_ID, "AttachmentScope": "CHAT"}, "AccessDeniedException", 403),
    ("socialmessaging", "get_linked_whatsapp_business_account_phone_number",
     {"id": PHONE_NUMBER_ARN}, "AccessDeniedException", 403),
    ("transcribe", "get_transcription_job", {"TranscriptionJobName": "job"}, "AccessDeniedException", 400),
    # No IAM mapping in the twin: refused, so the gap shows, in SNS's own error shape.
    ("sns", "publish", {"TopicArn": STREAMING_TOPIC_ARN, "Message": "hi"}, "AuthorizationError", 403),
])
def test_each_service_refuses_in_its_own_error_shape(aws, service, method, params, code, status):
    client = signed_as(aws.twin, "NothingAllowed", [], service)

    with pytest.raises(ClientError) as raised:
        getattr(client, method)(**params)

    assert refusal(raised)[:2] == (code, status)
    assert "assumed-role/NothingAllowed/test-session is not authorized to perform" in refusal(raised)[2]
    assert len(aws.twin.iam.take_refusals()) == 1
    # The refused request was read whole: the connection serves the next one.
    with pytest.raises(ClientError):
        getattr(client, method)(**params)
    aws.twin.iam.take_refusals()


def test_unknown_credentials_are_not_checked(aws):
    client = boto3.Session(aws_access_key_id="someone", aws_secret_access_key="x",
                           region_name=REGION).client("dynamodb")

    client.put_item(TableName=SESSIONS_TABLE, Item={"contactId": {"S": "c"}})

    assert client.get_item(TableName=SESSIONS_TABLE, Key={"contactId": {"S": "c"}})["Item"]
    assert aws.twin.iam.take_refusals() == []


def test_a_transaction_needs_each_items_action_on_its_table(aws):
    client = signed_as(aws.twin, "BufferOnly", [allow("dynamodb:PutItem", BUFFER_ARN)], "dynamodb")
    items = [{"Put": {"TableName": BUFFER_TABLE,
                      "Item": {"conversationId": {"S": "c"}, "messageKey": {"S": "m"}}}},
             {"Update": {"TableName": SESSIONS_TABLE, "Key": {"contactId": {"S": "c"}},
                         "UpdateExpression": "SET seen = :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}]

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=items)

    code, _, message = refusal(raised)
    assert code == "AccessDeniedException"
    assert f"dynamodb:UpdateItem on resource: {SESSIONS_ARN}" in message
    assert boto3.client("dynamodb").scan(TableName=BUFFER_TABLE)["Items"] == []
    aws.twin.iam.take_refusals()

    signed_as(aws.twin, "BufferOnly", [allow("dynamodb:PutItem", BUFFER_ARN),
                                       allow("dynamodb:UpdateItem", SESSIONS_ARN)], "dynamodb")
    client.transact_write_items(TransactItems=items)
    assert len(boto3.client("dynamodb").scan(TableName=BUFFER_TABLE)["Items"]) == 1


def test_getting_whatsapp_media_into_s3_needs_the_callers_s3_put(aws):
    aws.twin.register_media(MEDIA_ID, b"\xff\xd8\xff\xe0" + bytes(100), "image/jpeg")
    get_media = allow("social-messaging:GetWhatsAppMessageMedia", "*")
    client = signed_as(aws.twin, "MediaReader", [get_media], "socialmessaging")
    request = {"mediaId": MEDIA_ID, "originationPhoneNumberId": PHONE_NUMBER_ARN,
               "destinationS3File": {"bucketName": MEDIA_BUCKET, "key": "inbound/"}}

    with pytest.raises(ClientError) as raised:
        client.get_whatsapp_message_media(**request)

    assert refusal(raised)[0] == "AccessDeniedException"
    assert f"s3:PutObject on resource: arn:aws:s3:::{MEDIA_BUCKET}/inbound/{MEDIA_ID}" in refusal(raised)[2]
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=MEDIA_BUCKET)
    aws.twin.iam.take_refusals()

    signed_as(aws.twin, "MediaReader", [get_media, allow("s3:PutObject", f"arn:aws:s3:::{MEDIA_BUCKET}/inbound/*")],
              "socialmessaging")
    assert client.get_whatsapp_message_media(**request)["mimeType"] == "image/jpeg"


def test_a_transcription_job_needs_the_callers_s3_read_and_write(aws):
    start_job = allow("transcribe:StartTranscriptionJob", "*")
    client = signed_as(aws.twin, "Transcriber", [start_job, allow("s3:PutObject", f"arn:aws:s3:::{MEDIA_BUCKET}/*")],
                       "transcribe")

    with pytest.raises(ClientError) as raised:
        client.start_transcription_job(
            TranscriptionJobName="voice-1", LanguageCode="en-US", OutputBucketName=MEDIA_BUCKET,
            OutputKey="transcripts/voice-1.json", Media={"MediaFileUri": f"s3://{MEDIA_BUCKET}/inbound/voice.ogg"})

    assert refusal(raised)[:2] == ("AccessDeniedException", 400)
    assert f"s3:GetObject on resource: arn:aws:s3:::{MEDIA_BUCKET}/inbound/voice.ogg" in refusal(raised)[2]
    assert aws.twin.transcripts.jobs == {}
    aws.twin.iam.take_refusals()
