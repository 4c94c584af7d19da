"""Pure media rules: names, types and limits of Connect and WhatsApp, and transcription naming."""
import pytest

from chalicelib import media, transcribe
from chalicelib.media import AttachmentRules


@pytest.mark.parametrize("name, mime, expected", [
    ("receipt-4521.pdf", "application/pdf", "receipt-4521.pdf"),
    ("../../etc/passwd", "text/plain", "passwd.txt"),
    ("C:\\Users\\ana\\scan 01.pdf", "application/pdf", "scan 01.pdf"),
    ("invoice", "application/pdf", "invoice.pdf"),
    ("<script>.png", "image/png", "script_.png"),
    (None, "image/jpeg", "image-1.jpg"),
    ("...", "image/jpeg", "image-1.jpg"),
])
def test_safe_file_name(name, mime, expected):
    assert media.safe_file_name(name, mime, "image-1") == expected


def test_connect_refusal_by_extension_size_and_emptiness():
    rules = AttachmentRules.from_configuration([".PDF", "jpg"], 1000)

    assert media.connect_refusal("a.pdf", 10, rules) is None
    assert media.connect_refusal("a.JPG", 10, rules) is None
    # The words name the extension, which the sender chose; the code, for the logs, never does.
    assert media.connect_refusal("a.png", 10, rules) == media.Reason(
        "extension_not_allowed", "Amazon Connect chat does not accept .png files")
    assert media.connect_refusal("noext", 10, rules) == media.Reason(
        "extension_not_allowed", "Amazon Connect chat does not accept .(none) files")
    assert media.connect_refusal("a.pdf", 1001, rules) == media.Reason(
        "too_large", "larger than Amazon Connect's 1000 bytes limit")
    assert media.connect_refusal("a.pdf", 0, rules) == media.Reason("empty", "the file is empty")


def test_connect_defaults_take_what_whatsapp_customers_send_except_ogg_and_webp():
    rules = AttachmentRules.connect_defaults()
    for name in ("a.jpg", "a.png", "a.mp4", "a.pdf", "a.docx", "a.wav"):
        assert media.connect_refusal(name, 10, rules) is None
    for name in ("a.ogg", "a.webp", "a.3gp", "a.mp3"):
        assert media.connect_refusal(name, 10, rules) is not None


@pytest.mark.parametrize("mime, kind, sent_as", [
    ("image/jpeg", "image", "image/jpeg"),
    ("image/jfif", "image", "image/jpeg"),
    ("video/mp4", "video", "video/mp4"),
    ("audio/aac", "audio", "audio/aac"),
    ("audio/ogg; codecs=opus", "audio", "audio/ogg"),
    ("application/pdf", "document", "application/pdf"),
    ("text/csv", "document", "text/plain"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_whatsapp_media_kinds(mime, kind, sent_as):
    assert media.whatsapp_media(mime) == media.WhatsAppMedia(kind, sent_as)


@pytest.mark.parametrize("mime", ["image/heic", "video/quicktime", "audio/wav", "application/rtf",
                                  "image/webp"])
def test_whatsapp_takes_no_such_file(mime):
    assert media.whatsapp_media(mime) is None


def test_whatsapp_size_limits_per_kind():
    image = media.whatsapp_media("image/png")
    assert media.whatsapp_refusal(image, 5 * 1024 * 1024) is None
    assert media.whatsapp_refusal(image, 5 * 1024 * 1024 + 1) == media.Reason(
        "too_large", "larger than WhatsApp's 5 MB limit for image files")
    document = media.whatsapp_media("application/pdf")
    assert media.whatsapp_refusal(document, 99 * 1024 * 1024) is None


@pytest.mark.parametrize("languages, expected", [
    (["en-US", "es-US", "pt-BR"], ["en", "es", "pt"]),
    (["en-US", "en-GB"], ["en"]),
    (["zh-TW", "ja-JP"], ["zh-TW", "ja"]),
    (["en-US", "ru-RU"], None),
])
def test_sync_transcription_languages(languages, expected):
    assert transcribe.sync_languages(languages) == expected


def test_job_name_leads_back_to_its_contact():
    name = transcribe.job_name("21a81720-8a48-4512-88e6-d4987715835e", "wamid.ABC=")

    assert len(name) <= 200
    assert transcribe.contact_of_job(name) == "21a81720-8a48-4512-88e6-d4987715835e"
    assert transcribe.contact_of_job("someone-elses-job") is None
    assert transcribe.transcript_key(name) == f"transcripts/{name}.json"


def test_transcript_file_as_transcribe_writes_it():
    document = ('{"jobName": "j", "accountId": "1", "status": "COMPLETED", "results": '
                '{"language_code": "pt-BR", "transcripts": [{"transcript": " Oi, tudo bem? "}], '
                '"language_identification": [{"code": "pt-BR", "score": "0.98"}], "items": []}}')

    transcript = transcribe.parse_transcript_file(document)

    assert transcript == transcribe.Transcript("Oi, tudo bem?", "pt-BR")
    assert transcribe.agent_line(transcript) == "🎤 Transcript (pt-BR): Oi, tudo bem?"
