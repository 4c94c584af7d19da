"""Agent attachments: fetched from Connect, checked against WhatsApp's rules, sent by media id."""
import json
import math
import struct

import pytest

from tests.conftest import CUSTOMER_WA_ID, MEDIA_BUCKET, PHONE_NUMBER_ARN, load_event

PDF = b"%PDF-1.4\n" + b"return label " * 200 + b"\n%%EOF"


def agent_items(twin, contact_id):
    return [i for i in twin.contacts[contact_id]["transcript"] if i.get("ParticipantRole") == "CUSTOMER"]


def sent_media(twin):
    return [s["message"] for s in twin.sent_whatsapp if s["message"].get("type") not in ("text", None)]


def tone_wav(seconds=1.0, rate=8000):
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
                      for n in range(int(seconds * rate)))
    header = (b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
              + b"data" + struct.pack("<I", len(frames)))
    return header + frames


def test_agent_pdf_goes_out_as_a_whatsapp_document_by_media_id(bridge):
    contact_id = bridge.open_chat()
    event = bridge.twin.agent_attachment_event(contact_id, name="return-label-4521.pdf",
                                               content_type="application/pdf", data=PDF)
    bridge.connect_event(event)

    (get_attachment,) = bridge.twin.calls_to("connectparticipant", "GetAttachment")
    assert get_attachment["params"]["UrlExpiryInSeconds"] == 60
    (staged,) = bridge.twin.calls_to("s3", "PutObject")
    assert staged["params"]["bucket"] == MEDIA_BUCKET
    assert staged["params"]["key"].startswith("outbound/")
    (posted,) = bridge.twin.calls_to("socialmessaging", "PostWhatsAppMessageMedia")
    assert posted["params"]["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert posted["params"]["sourceS3File"] == {"bucketName": MEDIA_BUCKET, "key": staged["params"]["key"]}
    (message,) = sent_media(bridge.twin)
    media_id = message["document"]["id"]
    connect_message_id = json.loads(event["Records"][0]["Sns"]["Message"])["Id"]
    assert message == {"messaging_product": "whatsapp", "recipient_type": "individual",
                       "to": CUSTOMER_WA_ID, "type": "document",
                       "document": {"id": media_id, "filename": "return-label-4521.pdf"},
                       "biz_opaque_callback_data": f"{contact_id}|{connect_message_id}"}
    assert bridge.twin.social.media[media_id]["data"] == PDF
    assert bridge.twin.social.media[media_id]["mime_type"] == "application/pdf"


def test_agent_image_goes_out_as_an_image(bridge):
    contact_id = bridge.open_chat()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
    bridge.connect_event(bridge.twin.agent_attachment_event(
        contact_id, name="map.png", content_type="image/png", data=png))

    (message,) = sent_media(bridge.twin)
    assert message["type"] == "image" and set(message["image"]) == {"id"}


def test_agent_wav_is_converted_to_aac_audio(bridge):
    contact_id = bridge.open_chat()
    bridge.connect_event(bridge.twin.agent_attachment_event(
        contact_id, name="instructions.wav", content_type="audio/wav", data=tone_wav()))

    (message,) = sent_media(bridge.twin)
    assert message["type"] == "audio"
    posted = bridge.twin.social.media[message["audio"]["id"]]
    assert posted["mime_type"] == "audio/aac"
    assert posted["data"][0] == 0xFF and posted["data"][1] & 0xF0 == 0xF0


@pytest.mark.parametrize("name, content_type, size, reason", [
    ("photo.heic", "image/heic", 300, "WhatsApp does not accept image/heic files"),
    ("clip.mov", "video/quicktime", 300, "WhatsApp does not accept video/quicktime files"),
    ("poster.jpg", "image/jpeg", 6 * 1024 * 1024, "larger than WhatsApp's 5 MB limit for image files"),
])
def test_file_whatsapp_refuses_is_reported_to_the_agent(bridge, name, content_type, size, reason):
    contact_id = bridge.open_chat()
    bridge.connect_event(bridge.twin.agent_attachment_event(
        contact_id, name=name, content_type=content_type, data=b"x" * size))

    assert sent_media(bridge.twin) == []
    assert agent_items(bridge.twin, contact_id)[-1]["Content"] == (
        f"[WhatsApp bridge] ⚠️ {name} was not sent to the customer on WhatsApp: {reason}.")


def test_redelivered_attachment_event_is_sent_once(bridge):
    contact_id = bridge.open_chat()
    event = bridge.twin.agent_attachment_event(contact_id, name="label.pdf",
                                               content_type="application/pdf", data=PDF)
    bridge.connect_event(event)
    bridge.connect_event(event)

    assert len(sent_media(bridge.twin)) == 1


def test_reference_attachment_event_for_unknown_contact_is_dropped(bridge):
    bridge.connect_event(load_event("connect-agent-attachment"))

    assert bridge.twin.calls_to("connectparticipant") == []


def test_an_attachment_connect_no_longer_has_is_a_note_to_the_agent_not_a_retry(bridge):
    contact_id = bridge.open_chat()
    event = bridge.twin.agent_attachment_event(contact_id, name="label.pdf",
                                               content_type="application/pdf", data=PDF)
    bridge.twin.inject_fault("connectparticipant", "GetAttachment", "ValidationException",
                             message="Unknown attachment")

    bridge.connect_event(event)  # returns: a retry could not fetch it either

    assert sent_media(bridge.twin) == []
    (note,) = [i["Content"] for i in agent_items(bridge.twin, contact_id)
               if "label.pdf" in i.get("Content", "")]
    assert note == ("[WhatsApp bridge] ⚠️ label.pdf was not sent to the customer on WhatsApp: "
                    "Amazon Connect could not provide it.")
