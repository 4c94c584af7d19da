import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.emulator.test_connect import start_chat
from tests.repository import load_event


def sns(event):
    (record,) = event["Records"]
    return record["Sns"]


def fixture_sns(name):
    return sns(load_event(name))


@pytest.fixture
def contact_id(sdk):
    return start_chat(sdk("connect"))["ContactId"]


def same_shape(ours, theirs):
    assert list(json.loads(ours["Message"])) == list(json.loads(theirs["Message"]))
    assert list(ours["MessageAttributes"]) == list(theirs["MessageAttributes"])
    assert set(ours) == set(theirs)


def test_agent_message_event_matches_the_fixture_and_joins_the_transcript(twin, contact_id):
    event = twin.connect_streaming_event(
        contact_id, participant_role="AGENT", content="Hi Ana", display_name="Jordan"
    )

    same_shape(sns(event), fixture_sns("connect-agent-text.json"))
    body = json.loads(sns(event)["Message"])
    assert (body["ContactId"], body["Content"], body["DisplayName"]) == (contact_id, "Hi Ana", "Jordan")
    assert twin.contacts[contact_id]["transcript"][-1]["Id"] == body["Id"]


def test_end_chat_returns_the_chat_ended_event(twin, contact_id):
    event = twin.end_chat(contact_id)

    same_shape(sns(event), fixture_sns("connect-chat-ended.json"))
    assert json.loads(sns(event)["Message"])["InitialContactId"] == contact_id


def test_agent_attachment_event_can_be_downloaded(sdk, twin):
    response = start_chat(sdk("connect"))
    event = twin.agent_attachment_event(
        response["ContactId"], name="label.pdf", content_type="application/pdf", data=b"%PDF"
    )
    (attachment,) = json.loads(sns(event)["Message"])["Attachments"]

    url = sdk("connectparticipant").get_attachment(
        ConnectionToken=response["ConnectionCredentials"]["ConnectionToken"],
        AttachmentId=attachment["AttachmentId"],
    )["Url"]

    same_shape(sns(event), fixture_sns("connect-agent-attachment.json"))
    with urllib.request.urlopen(url) as download:
        assert download.read() == b"%PDF"


def test_control_api_injects_faults_and_lists_contacts(sdk, twin, contact_id):
    fault = {
        "service": "socialmessaging",
        "operation": "SendWhatsAppMessage",
        "code": "AccessDeniedException",
        "status": 403,
    }
    post = urllib.request.Request(
        f"{twin.emulator_url}/_emulator/faults",
        data=json.dumps(fault).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(post).close()

    with urllib.request.urlopen(f"{twin.emulator_url}/_emulator/contacts") as listing:
        contacts = json.load(listing)
    with pytest.raises(ClientError) as excinfo:
        sdk("socialmessaging").send_whatsapp_message(
            originationPhoneNumberId="phone-number-id-abc",
            metaApiVersion="v20.0",
            message=b'{"messaging_product": "whatsapp", "to": "1", "text": {"body": "x"}}',
        )

    assert contacts[contact_id]["status"] == "ACTIVE"
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [c["service"] for c in twin.calls] == ["connect", "socialmessaging"]
