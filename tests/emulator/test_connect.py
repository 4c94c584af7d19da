import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from emulator.connect import DEFAULT_FLOW_ID, DEFAULT_INSTANCE_ID

TOPIC = "arn:aws:sns:us-east-1:123456789012:connect-streaming"


def start_chat(connect, **extra):
    return connect.start_chat_contact(
        InstanceId=DEFAULT_INSTANCE_ID,
        ContactFlowId=DEFAULT_FLOW_ID,
        ParticipantDetails={"DisplayName": "Ana Souza"},
        ConnectionTypes=["CONNECTION_CREDENTIALS"],
        **extra,
    )


@pytest.fixture
def chat(sdk):
    """A started chat: (connect response, participant client, connection token)."""
    response = start_chat(sdk("connect"))
    return response, sdk("connectparticipant"), response["ConnectionCredentials"]["ConnectionToken"]


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_start_chat_returns_token_and_streaming_id_and_records_contact(sdk, twin):
    response = start_chat(
        sdk("connect"),
        ChatStreamingConfiguration={"StreamingEndpointArn": TOPIC},
        Attributes={"customer-phone": "15550100001"},
        InitialMessage={"ContentType": "text/plain", "Content": "Hello"},
    )

    assert response["ParticipantToken"]
    assert response["ConnectionCredentials"]["ConnectionToken"]
    assert response["ConnectionCredentials"]["Expiry"].endswith("Z")
    contact = twin.contacts[response["ContactId"]]
    assert contact["streaming_arn"] == TOPIC
    assert contact["streaming_id"] == response["StreamingId"]
    assert contact["attributes"] == {"customer-phone": "15550100001"}
    assert [(i["ParticipantRole"], i["Content"]) for i in contact["transcript"]] == [("CUSTOMER", "Hello")]


def test_start_chat_without_credentials_type_returns_no_connection(sdk):
    response = sdk("connect").start_chat_contact(
        InstanceId=DEFAULT_INSTANCE_ID,
        ContactFlowId=DEFAULT_FLOW_ID,
        ParticipantDetails={"DisplayName": "Ana"},
    )

    assert "ConnectionCredentials" not in response
    assert "StreamingId" not in response


def test_start_chat_same_client_token_returns_same_contact(sdk, twin):
    connect = sdk("connect")

    first = start_chat(connect, ClientToken="wamid-1")
    second = start_chat(connect, ClientToken="wamid-1")

    assert (second["ContactId"], second["ParticipantToken"]) == (
        first["ContactId"],
        first["ParticipantToken"],
    )
    assert len(twin.contacts) == 1


@pytest.mark.parametrize(
    "extra, code",
    [
        ({"ChatDurationInMinutes": 20000}, "InvalidParameterException"),
        ({"SupportedMessagingContentTypes": ["text/markdown"]}, "InvalidRequestException"),
        ({"Attributes": {"bad key!": "x"}}, "InvalidParameterException"),
        ({"Attributes": {"big": "x" * 32768}}, "InvalidParameterException"),
        (
            {"ChatStreamingConfiguration": {"StreamingEndpointArn": TOPIC + ".fifo"}},
            "InvalidParameterException",
        ),
    ],
)
def test_start_chat_rejects_invalid_parameters(sdk, extra, code):
    with pytest.raises(ClientError) as excinfo:
        start_chat(sdk("connect"), **extra)

    assert error_code(excinfo) == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_start_chat_unknown_flow_is_not_found(sdk):
    with pytest.raises(ClientError) as excinfo:
        sdk("connect").start_chat_contact(
            InstanceId=DEFAULT_INSTANCE_ID, ContactFlowId="nope", ParticipantDetails={"DisplayName": "Ana"}
        )

    assert error_code(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_send_message_appends_once_per_client_token(chat, twin):
    response, participant, token = chat

    first = participant.send_message(
        ConnectionToken=token, ContentType="text/plain", Content="hi", ClientToken="m1"
    )
    again = participant.send_message(
        ConnectionToken=token, ContentType="text/plain", Content="hi", ClientToken="m1"
    )

    assert again["Id"] == first["Id"]
    transcript = participant.get_transcript(ConnectionToken=token)["Transcript"]
    assert [(i["Id"], i["Content"], i["ParticipantRole"]) for i in transcript] == [
        (first["Id"], "hi", "CUSTOMER")
    ]


def test_send_message_over_byte_limit_is_validation_error(chat):
    _, participant, token = chat

    with pytest.raises(ClientError) as excinfo:
        participant.send_message(ConnectionToken=token, ContentType="text/plain", Content="é" * 8193)

    assert error_code(excinfo) == "ValidationException"


def test_send_message_content_type_must_be_supported_by_contact(chat):
    _, participant, token = chat

    with pytest.raises(ClientError) as excinfo:
        participant.send_message(ConnectionToken=token, ContentType="text/markdown", Content="**hi**")

    assert error_code(excinfo) == "ValidationException"


def test_send_event_is_recorded_in_transcript(chat, twin):
    response, participant, token = chat

    participant.send_event(ConnectionToken=token, ContentType="application/vnd.amazonaws.connect.event.typing")

    (item,) = twin.contacts[response["ContactId"]]["transcript"]
    assert (item["Type"], item["ContentType"]) == ("EVENT", "application/vnd.amazonaws.connect.event.typing")


def test_expired_connection_is_refused_until_a_new_connection_is_made(chat, twin):
    response, participant, token = chat
    twin.expire_connections(response["ContactId"])

    with pytest.raises(ClientError) as excinfo:
        participant.send_message(ConnectionToken=token, ContentType="text/plain", Content="hi")
    fresh = participant.create_participant_connection(
        ParticipantToken=response["ParticipantToken"],
        Type=["CONNECTION_CREDENTIALS"],
        ConnectParticipant=True,
    )["ConnectionCredentials"]["ConnectionToken"]

    assert error_code(excinfo) == "AccessDeniedException"
    assert participant.send_message(ConnectionToken=fresh, ContentType="text/plain", Content="hi")["Id"]
    assert twin.contacts[response["ContactId"]]["customer_connected"]


def test_ended_chat_refuses_both_tokens(chat, twin):
    response, participant, token = chat

    twin.end_chat(response["ContactId"])

    with pytest.raises(ClientError) as message_error:
        participant.send_message(ConnectionToken=token, ContentType="text/plain", Content="hi")
    with pytest.raises(ClientError) as connection_error:
        participant.create_participant_connection(
            ParticipantToken=response["ParticipantToken"], Type=["CONNECTION_CREDENTIALS"]
        )
    assert error_code(message_error) == error_code(connection_error) == "AccessDeniedException"
    assert twin.contacts[response["ContactId"]]["status"] == "ENDED"


def test_disconnect_participant_ends_the_chat(chat, twin):
    response, participant, token = chat

    participant.disconnect_participant(ConnectionToken=token)

    assert twin.contacts[response["ContactId"]]["status"] == "ENDED"


def test_attachment_round_trip(chat, twin):
    _, participant, token = chat
    data = b"%PDF-1.4 return label"
    upload = participant.start_attachment_upload(
        ConnectionToken=token,
        ContentType="application/pdf",
        AttachmentSizeInBytes=len(data),
        AttachmentName="label.pdf",
        ClientToken="a1",
    )
    metadata = upload["UploadMetadata"]
    put = urllib.request.Request(
        metadata["Url"], data=data, method="PUT", headers=metadata["HeadersToInclude"]
    )
    with urllib.request.urlopen(put) as put_response:
        assert put_response.status == 200

    participant.complete_attachment_upload(
        ConnectionToken=token, AttachmentIds=[upload["AttachmentId"]], ClientToken="c1"
    )
    got = participant.get_attachment(
        ConnectionToken=token, AttachmentId=upload["AttachmentId"], UrlExpiryInSeconds=60
    )
    with urllib.request.urlopen(got["Url"]) as download:
        assert download.read() == data

    assert got["AttachmentSizeInBytes"] == len(data)
    (item,) = participant.get_transcript(ConnectionToken=token)["Transcript"]
    assert item["Type"] == "ATTACHMENT"
    assert item["Attachments"][0]["Status"] == "APPROVED"


def test_upload_without_the_signed_headers_fails_and_cannot_complete(chat, twin):
    _, participant, token = chat
    upload = participant.start_attachment_upload(
        ConnectionToken=token,
        ContentType="image/png",
        AttachmentSizeInBytes=3,
        AttachmentName="a.png",
        ClientToken="a2",
    )
    put = urllib.request.Request(
        upload["UploadMetadata"]["Url"], data=b"png", method="PUT", headers={"Content-Type": "image/png"}
    )

    with pytest.raises(urllib.error.HTTPError) as http_error:
        urllib.request.urlopen(put)
    with pytest.raises(ClientError) as excinfo:
        participant.complete_attachment_upload(
            ConnectionToken=token, AttachmentIds=[upload["AttachmentId"]], ClientToken="c2"
        )

    assert http_error.value.code == 403  # S3's answer to a signature that does not match
    assert twin.calls_to("upload", "PutAttachment")[0]["error"] == "SignatureDoesNotMatch"
    assert error_code(excinfo) == "ValidationException"


def test_start_attachment_upload_rejects_disallowed_extension(chat):
    _, participant, token = chat

    with pytest.raises(ClientError) as excinfo:
        participant.start_attachment_upload(
            ConnectionToken=token,
            ContentType="audio/ogg",
            AttachmentSizeInBytes=10,
            AttachmentName="voice.ogg",
            ClientToken="a3",
        )

    assert error_code(excinfo) == "ValidationException"


def test_describe_attached_files_configuration_has_connect_defaults(sdk):
    config = sdk("connect").describe_attached_files_configuration(
        InstanceId=DEFAULT_INSTANCE_ID, AttachmentScope="CHAT"
    )

    allowed = {
        e["Extension"]
        for e in config["AttachedFilesConfiguration"]["ExtensionConfiguration"]["AllowedExtensions"]
    }
    assert config["AttachedFilesConfiguration"]["MaximumSizeLimitInBytes"] == 20 * 1024 * 1024
    assert {"wav", "pdf", "jpeg"} <= allowed and "ogg" not in allowed


def test_start_and_stop_contact_streaming(chat, sdk, twin):
    response, _, _ = chat
    connect = sdk("connect")

    streaming_id = connect.start_contact_streaming(
        InstanceId=DEFAULT_INSTANCE_ID,
        ContactId=response["ContactId"],
        ChatStreamingConfiguration={"StreamingEndpointArn": TOPIC},
        ClientToken="s1",
    )["StreamingId"]
    assert twin.contacts[response["ContactId"]]["streaming_arn"] == TOPIC
    connect.stop_contact_streaming(
        InstanceId=DEFAULT_INSTANCE_ID, ContactId=response["ContactId"], StreamingId=streaming_id
    )

    assert twin.contacts[response["ContactId"]]["streaming_arn"] is None


def test_injected_fault_fails_the_next_call_only(chat, twin):
    _, participant, token = chat
    twin.inject_fault("connectparticipant", "SendMessage", "AccessDeniedException", status=403)

    with pytest.raises(ClientError) as excinfo:
        participant.send_message(ConnectionToken=token, ContentType="text/plain", Content="hi")
    participant.send_message(ConnectionToken=token, ContentType="text/plain", Content="hi")

    assert error_code(excinfo) == "AccessDeniedException"
    assert [c["error"] for c in twin.calls_to("connectparticipant", "SendMessage")] == [
        "AccessDeniedException",
        None,
    ]


def test_injected_throttle_is_retried_by_the_sdk(chat, twin):
    _, participant, token = chat
    twin.inject_fault("connectparticipant", "SendMessage", "ThrottlingException", status=429)

    participant.send_message(ConnectionToken=token, ContentType="text/plain", Content="hi")

    assert [c["status"] for c in twin.calls_to("connectparticipant", "SendMessage")] == [429, 200]
