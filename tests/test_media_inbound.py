"""Customer media: images, documents and video become Connect chat attachments; voice notes become
wav attachments with a transcript; anything Connect would refuse becomes a clear note."""
import io
import json
import wave
from pathlib import Path

import pytest

from tests.conftest import (
    CUSTOMER_WA_ID, DEFAULT_SETTINGS, MEDIA_BUCKET, PHONE_NUMBER_ARN, load_event,
    put_settings, sns_message, text_from_customer, with_messages,
)

FIXTURES = Path(__file__).parent / "fixtures"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
PDF = b"%PDF-1.4\n" + b"receipt " * 300 + b"\n%%EOF"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000


def webhook_message(event):
    entry = json.loads(sns_message(event)["whatsAppWebhookEntry"])
    return entry["changes"][0]["value"]["messages"][0]


def chat_items(twin, contact_id):
    return [i for i in twin.contacts[contact_id]["transcript"] if i.get("ParticipantRole") == "CUSTOMER"]


def only_contact(twin):
    (contact_id,) = twin.contacts
    return contact_id


def attachment_of(twin, item):
    (listed,) = item["Attachments"]
    return twin.connect.attachments[listed["AttachmentId"]]


def test_image_with_caption_is_attached_then_captioned_even_as_a_first_message(bridge):
    event = load_event("eum-image")
    bridge.twin.register_media(webhook_message(event)["image"]["id"], JPEG, "image/jpeg")

    assert bridge.deliver(event) == {"batchItemFailures": []}

    (start,) = bridge.twin.calls_to("connect", "StartChatContact")
    assert "InitialMessage" not in start["params"]
    (get_media,) = bridge.twin.calls_to("socialmessaging", "GetWhatsAppMessageMedia")
    assert get_media["params"]["mediaId"] == "1546782405440846"
    assert get_media["params"]["originationPhoneNumberId"] == PHONE_NUMBER_ARN
    assert get_media["params"]["destinationS3File"]["bucketName"] == MEDIA_BUCKET
    assert get_media["params"]["destinationS3File"]["key"].startswith("inbound/")
    assert CUSTOMER_WA_ID not in get_media["params"]["destinationS3File"]["key"]
    (upload,) = bridge.twin.calls_to("connectparticipant", "StartAttachmentUpload")
    assert upload["params"]["ContentType"] == "image/jpeg"
    assert upload["params"]["AttachmentSizeInBytes"] == len(JPEG)
    assert upload["params"]["AttachmentName"] == "image-1762956156.jpg"
    (put,) = bridge.twin.calls_to("upload", "PutAttachment")
    assert put["status"] == 200
    items = chat_items(bridge.twin, only_contact(bridge.twin))
    assert [i["Type"] for i in items] == ["ATTACHMENT", "MESSAGE"]
    attachment = attachment_of(bridge.twin, items[0])
    assert attachment.data == JPEG and attachment.status == "APPROVED"
    assert items[1]["Content"] == "Photo of the damaged box"


def test_document_keeps_the_customers_file_name(bridge):
    event = load_event("eum-document")
    bridge.twin.register_media(webhook_message(event)["document"]["id"], PDF, "application/pdf")
    bridge.deliver(event)

    (upload,) = bridge.twin.calls_to("connectparticipant", "StartAttachmentUpload")
    assert upload["params"]["AttachmentName"] == "receipt-4521.pdf"
    assert upload["params"]["ContentType"] == "application/pdf"
    items = chat_items(bridge.twin, only_contact(bridge.twin))
    assert attachment_of(bridge.twin, items[0]).data == PDF
    assert items[1]["Content"] == "My receipt"


def test_video_without_caption_is_only_an_attachment(bridge):
    event = load_event("eum-video")
    bridge.twin.register_media(webhook_message(event)["video"]["id"], MP4, "video/mp4")
    bridge.deliver(event)

    items = chat_items(bridge.twin, only_contact(bridge.twin))
    assert [i["Type"] for i in items] == ["ATTACHMENT"]
    assert attachment_of(bridge.twin, items[0]).content_type == "video/mp4"


def test_attachment_and_caption_keep_their_place_in_the_conversation(bridge):
    image_event = load_event("eum-image")
    image = webhook_message(image_event)
    bridge.twin.register_media(image["image"]["id"], JPEG, "image/jpeg")
    messages = [text_from_customer("wamid.before", int(image["timestamp"]) - 1, "Look at this:"),
                image,
                text_from_customer("wamid.after", int(image["timestamp"]) + 1, "It arrived like that")]
    bridge.deliver(with_messages(image_event, messages))

    items = chat_items(bridge.twin, only_contact(bridge.twin))
    assert [(i["Type"], i.get("Content")) for i in items] == [
        ("MESSAGE", "Look at this:"),
        ("ATTACHMENT", None),
        ("MESSAGE", "Photo of the damaged box\nIt arrived like that"),
    ]


def test_file_connect_refuses_becomes_a_note_for_agent_and_a_line_for_customer(bridge):
    event = load_event("eum-document")
    message = webhook_message(event)
    message["document"].update(filename="photos.zip", mime_type="application/zip", caption=None)
    bridge.twin.register_media(message["document"]["id"], b"PK" + b"z" * 2046, "application/zip")
    bridge.deliver(with_messages(event, [message]))

    assert bridge.twin.calls_to("connectparticipant", "StartAttachmentUpload") == []
    (note,) = [i["Content"] for i in chat_items(bridge.twin, only_contact(bridge.twin))]
    assert note == ("[WhatsApp bridge] 📎 The customer sent photos.zip (application/zip, 2 KB), which could not be "
                    "attached: Amazon Connect chat does not accept .zip files.")
    (told,) = [s["message"] for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text"]
    assert told["to"] == CUSTOMER_WA_ID
    assert told["text"]["body"] == ("Sorry, your file photos.zip could not be passed on to the agent: "
                                    "Amazon Connect chat does not accept .zip files.")


def test_media_over_the_size_setting_is_refused_without_reading_it(bridge):
    put_settings({**DEFAULT_SETTINGS, "max_media_mb": 1})
    event = load_event("eum-document")
    bridge.twin.register_media(webhook_message(event)["document"]["id"], PDF * 500, "application/pdf")
    bridge.deliver(event)

    assert bridge.twin.calls_to("s3", "GetObject") == []
    note = chat_items(bridge.twin, only_contact(bridge.twin))[0]["Content"]
    assert note.startswith("[WhatsApp bridge] 📎 The customer sent receipt-4521.pdf (application/pdf, 1.")
    assert note.endswith("could not be attached: larger than the 1 MB limit.")


def test_the_instances_own_attachment_rules_are_used(bridge):
    bridge.twin.connect.attachment_extensions = [".pdf"]
    try:
        event = load_event("eum-image")
        bridge.twin.register_media(webhook_message(event)["image"]["id"], JPEG, "image/jpeg")
        bridge.deliver(event)
    finally:
        bridge.twin.connect.attachment_extensions = [
            "csv", "doc", "docx", "heic", "jfif", "jpeg", "jpg", "mov", "mp4", "pdf", "png", "ppt",
            "pptx", "rtf", "txt", "wav", "xls", "xlsx"]

    (describe,) = bridge.twin.calls_to("connect", "DescribeAttachedFilesConfiguration")
    assert describe["params"]["AttachmentScope"] == "CHAT"
    assert bridge.twin.calls_to("connectparticipant", "StartAttachmentUpload") == []
    assert "does not accept .jpg files" in chat_items(bridge.twin, only_contact(bridge.twin))[0]["Content"]


def voice_note_event(bridge):
    event = load_event("eum-audio-voice")
    ogg = (FIXTURES / "voice-note.ogg").read_bytes()
    bridge.twin.register_media(webhook_message(event)["audio"]["id"], ogg, "audio/ogg")
    return event, ogg


def wav_format(data):
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getnchannels(), wav.getframerate(), wav.getsampwidth()


def test_voice_note_arrives_as_wav_with_a_transcript(bridge):
    event, ogg = voice_note_event(bridge)
    bridge.twin.transcripts.register(ogg, "Where is my parcel", language_code="en-US")
    bridge.deliver(event)

    (upload,) = bridge.twin.calls_to("connectparticipant", "StartAttachmentUpload")
    assert upload["params"]["ContentType"] == "audio/wav"
    assert upload["params"]["AttachmentName"] == "voice-note-1762956297.wav"
    items = chat_items(bridge.twin, only_contact(bridge.twin))
    assert [i["Type"] for i in items] == ["ATTACHMENT", "MESSAGE"]
    wav_bytes = attachment_of(bridge.twin, items[0]).data
    assert wav_bytes[:4] == b"RIFF" and wav_bytes[8:12] == b"WAVE"
    assert wav_format(wav_bytes) == (1, 16000, 2)
    assert items[1]["Content"] == "🎤 Transcript (en-US): Where is my parcel"
    (transcribe,) = bridge.twin.calls_to("transcribe", "TranscribeAudio")
    assert transcribe["params"]["LanguageDetectionMode"] == "IDENTIFY_LANGUAGE"
    assert transcribe["params"]["LanguageOptions"] == ["en", "es", "pt"]
    assert transcribe["params"]["Media"]["MediaBytes"]["size"] == len(ogg)
    assert not [s for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text"]


def test_voice_note_does_not_hold_back_the_text_after_it(bridge):
    event, ogg = voice_note_event(bridge)
    voice = webhook_message(event)
    bridge.twin.transcripts.register(ogg, "Where is my parcel", language_code="en-US")
    later = text_from_customer("wamid.later", int(voice["timestamp"]) + 2, "Order 4521")
    bridge.deliver(with_messages(event, [voice, later]))

    contents = [(i["Type"], i.get("Content")) for i in chat_items(bridge.twin, only_contact(bridge.twin))]
    assert contents == [("ATTACHMENT", None), ("MESSAGE", "Order 4521"),
                        ("MESSAGE", "🎤 Transcript (en-US): Where is my parcel")]


def test_transcript_is_echoed_to_the_customer_when_enabled(bridge):
    put_settings({**DEFAULT_SETTINGS, "echo_transcript": "yes"})
    event, ogg = voice_note_event(bridge)
    bridge.twin.transcripts.register(ogg, "Where is my parcel", language_code="en-US")
    bridge.deliver(event)

    (echo,) = [s["message"] for s in bridge.twin.sent_whatsapp if s["message"].get("type") == "text"]
    assert echo["text"]["body"] == "🎤 We heard: Where is my parcel"


def test_languages_transcribe_audio_lacks_go_through_a_job_and_its_event(bridge):
    put_settings({**DEFAULT_SETTINGS, "transcribe_languages": ["en-US", "ru-RU"]})
    event, ogg = voice_note_event(bridge)
    bridge.twin.transcripts.register(ogg, "Где моя посылка", language_code="ru-RU")
    bridge.deliver(event)

    assert bridge.twin.calls_to("transcribe", "TranscribeAudio") == []
    (job,) = bridge.twin.calls_to("transcribe", "StartTranscriptionJob")
    params = job["params"]
    assert params["IdentifyLanguage"] is True
    assert params["LanguageOptions"] == ["en-US", "ru-RU"]
    assert params["MediaFormat"] == "ogg"
    assert params["Media"]["MediaFileUri"].startswith(f"s3://{MEDIA_BUCKET}/inbound/")
    assert params["OutputBucketName"] == MEDIA_BUCKET
    contact_id = only_contact(bridge.twin)
    assert [i["Type"] for i in chat_items(bridge.twin, contact_id)] == ["ATTACHMENT"]

    bridge.invoke("on_transcription_job", bridge.twin.transcription_job_event(params["TranscriptionJobName"]))

    assert chat_items(bridge.twin, contact_id)[-1]["Content"] == "🎤 Transcript (ru-RU): Где моя посылка"


def test_failed_fast_transcription_falls_back_to_a_job(bridge):
    event, ogg = voice_note_event(bridge)
    bridge.twin.transcripts.fail_next("TranscribeAudio", "BadRequestException", "unsupported audio")
    bridge.deliver(event)

    assert len(bridge.twin.calls_to("transcribe", "StartTranscriptionJob")) == 1


def test_failed_transcription_job_tells_the_agent_to_listen(bridge):
    put_settings({**DEFAULT_SETTINGS, "transcribe_languages": ["en-US", "ru-RU"]})
    event, _ = voice_note_event(bridge)
    bridge.twin.transcripts.hold_jobs = True
    bridge.deliver(event)
    (job,) = bridge.twin.calls_to("transcribe", "StartTranscriptionJob")
    name = job["params"]["TranscriptionJobName"]
    failed = bridge.twin.transcripts.fail_job(name, "The media is too short")

    bridge.invoke("on_transcription_job", failed)

    last = chat_items(bridge.twin, only_contact(bridge.twin))[-1]["Content"]
    assert last == "🎤 The voice note could not be transcribed; please listen to the attached audio."


def test_voice_note_over_the_duration_setting_is_refused(bridge):
    put_settings({**DEFAULT_SETTINGS, "max_voice_note_seconds": 1})
    event, _ = voice_note_event(bridge)
    bridge.deliver(event)

    assert bridge.twin.calls_to("connectparticipant", "StartAttachmentUpload") == []
    assert bridge.twin.calls_to("transcribe") == []
    note = chat_items(bridge.twin, only_contact(bridge.twin))[0]["Content"]
    assert note.endswith("could not be attached: longer than the 1 seconds limit for voice notes.")


def test_sticker_stays_a_note_because_connect_takes_no_webp(bridge):
    bridge.deliver(load_event("eum-sticker"))

    assert bridge.twin.calls_to("socialmessaging", "GetWhatsAppMessageMedia") == []
    (item,) = chat_items(bridge.twin, only_contact(bridge.twin))
    assert item["Content"] == "🖼️ Sent a sticker"


def test_upload_url_outside_aws_is_refused():
    from chalicelib import transfer

    with pytest.raises(transfer.UnsafeUrl):
        transfer.check_url("https://attacker.example.com/upload", environ={})
    with pytest.raises(transfer.UnsafeUrl):
        transfer.check_url("http://bucket.s3.amazonaws.com/key", environ={})
    transfer.check_url("https://bucket.s3.us-east-1.amazonaws.com/key?X-Amz-Signature=1",
                       environ={"AWS_REGION": "us-east-1"})
    transfer.check_url("http://127.0.0.1:4567/_upload/1",
                       environ={"AWS_ENDPOINT_URL_CONNECTPARTICIPANT": "http://127.0.0.1:4567"})
    with pytest.raises(transfer.UnsafeUrl):
        transfer.check_url("http://127.0.0.1:9999/_upload/1",
                           environ={"AWS_ENDPOINT_URL_CONNECTPARTICIPANT": "http://127.0.0.1:4567"})
