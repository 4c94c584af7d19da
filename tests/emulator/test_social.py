import json

import pytest
from botocore.exceptions import ClientError

PHONE = "phone-number-id-0123456789abcdef0123456789abcdef"
PHONE_ARN = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/0123456789abcdef0123456789abcdef"


def send(social, message, phone=PHONE):
    return social.send_whatsapp_message(
        originationPhoneNumberId=phone, metaApiVersion="v20.0", message=json.dumps(message).encode()
    )


def test_send_decodes_the_message_blob(sdk, twin):
    message = {"messaging_product": "whatsapp", "to": "15550100001", "type": "text", "text": {"body": "Olá"}}
    twin.customer_wrote(PHONE_ARN, "15550100001", twin.clock.timestamp() - 60)

    message_id = send(sdk("socialmessaging"), message, phone=PHONE_ARN)["messageId"]

    assert twin.sent_whatsapp == [
        {
            "originationPhoneNumberId": PHONE_ARN,
            "metaApiVersion": "v20.0",
            "message": message,
            "messageId": message_id,
            # Meta's id for it, which its statuses name, and whether they carry its callback data.
            "wamid": message_id,
            "callbackDataEchoed": True,
        }
    ]
    assert twin.calls_to("socialmessaging", "SendWhatsAppMessage")[0]["params"]["message"] == message


def test_read_receipt_gets_a_message_id(sdk):
    receipt = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.abc"}

    assert send(sdk("socialmessaging"), receipt)["messageId"]


@pytest.mark.parametrize(
    "message, phone",
    [
        ({"to": "15550100001", "type": "text", "text": {"body": "x"}}, PHONE),
        (
            {"messaging_product": "whatsapp", "to": "15550100001", "type": "text", "text": {"body": "x"}},
            "101996265140636",
        ),
    ],
)
def test_send_rejects_bad_payload_or_phone_number_id(sdk, message, phone):
    with pytest.raises(ClientError) as excinfo:
        send(sdk("socialmessaging"), message, phone=phone)

    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_get_media_writes_to_s3_under_the_key_prefix(sdk, twin):
    twin.register_media("1234567890", b"OggS voice", "audio/ogg; codecs=opus")
    s3 = sdk("s3")
    s3.create_bucket(Bucket="media")

    result = sdk("socialmessaging").get_whatsapp_message_media(
        mediaId="1234567890",
        originationPhoneNumberId=PHONE,
        destinationS3File={"bucketName": "media", "key": "inbound/"},
    )

    assert result["mimeType"] == "audio/ogg; codecs=opus"
    assert s3.get_object(Bucket="media", Key="inbound/1234567890.ogg")["Body"].read() == b"OggS voice"
    assert [c["operation"] for c in twin.calls_to("s3")] == ["CreateBucket", "GetObject"]


def test_get_unknown_media_is_not_found(sdk):
    with pytest.raises(ClientError) as excinfo:
        sdk("socialmessaging").get_whatsapp_message_media(
            mediaId="404", originationPhoneNumberId=PHONE, metadataOnly=True
        )

    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_post_media_reads_s3_and_returns_a_media_id(sdk, twin):
    s3 = sdk("s3")
    s3.create_bucket(Bucket="media")
    s3.put_object(Bucket="media", Key="out/label.pdf", Body=b"%PDF", ContentType="application/pdf")

    media_id = sdk("socialmessaging").post_whatsapp_message_media(
        originationPhoneNumberId=PHONE, sourceS3File={"bucketName": "media", "key": "out/label.pdf"}
    )["mediaId"]

    assert twin.social.media[media_id] == {"data": b"%PDF", "mime_type": "application/pdf"}


def test_post_media_needs_exactly_one_source(sdk):
    with pytest.raises(ClientError) as excinfo:
        sdk("socialmessaging").post_whatsapp_message_media(originationPhoneNumberId=PHONE)

    assert excinfo.value.response["Error"]["Code"] == "InvalidParametersException"
