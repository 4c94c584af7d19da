import hashlib
import json
import urllib.error
import urllib.request

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

VOICE = b"OggS\x00\x02" + b"voice note" * 100
OTHER = b"OggS\x00\x02" + b"another voice" * 100


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def media_in_s3(sdk, data=VOICE, bucket="media", key="in/voice.ogg"):
    s3 = sdk("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    return f"s3://{bucket}/{key}"


def start_job(sdk, name="voice-1", uri="s3://media/in/voice.ogg", **overrides):
    params = {
        "TranscriptionJobName": name,
        "Media": {"MediaFileUri": uri},
        "MediaFormat": "ogg",
        "IdentifyLanguage": True,
        "LanguageOptions": ["en-US", "pt-BR"],
        "OutputBucketName": "media",
        "OutputKey": "transcripts/",
    }
    return sdk("transcribe").start_transcription_job(**(params | overrides))["TranscriptionJob"]


def read_json(sdk, bucket, key):
    return json.loads(sdk("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


# --- TranscribeAudio ---


def test_transcribe_audio_returns_the_registered_transcript(sdk, twin):
    twin.transcripts.register(sha256(VOICE), "Olá, preciso de ajuda", language_code="pt-BR")

    response = sdk("transcribe").transcribe_audio(
        Media={"MediaBytes": VOICE}, LanguageDetectionMode="IDENTIFY_LANGUAGE", LanguageOptions=["en", "pt"]
    )["TranscriptResponse"]

    assert response["Results"]["Transcript"] == "Olá, preciso de ajuda"
    assert response["Metadata"]["LanguageCode"] == "pt-BR"
    assert response["Metadata"]["MediaFormat"] == "ogg"


def test_transcribe_audio_of_unregistered_media_gets_the_default(sdk, twin):
    twin.transcripts.register(sha256(VOICE), "registered")

    response = sdk("transcribe").transcribe_audio(Media={"MediaBytes": OTHER}, Language="en")

    assert response["TranscriptResponse"]["Results"]["Transcript"] == "(emulated transcript)"


def test_transcribe_audio_reads_media_from_s3(sdk, twin):
    twin.transcripts.register(VOICE, "from s3")
    uri = media_in_s3(sdk)

    response = sdk("transcribe").transcribe_audio(Media={"MediaFileUri": uri}, Language="en")

    assert response["TranscriptResponse"]["Results"]["Transcript"] == "from s3"


@pytest.mark.parametrize(
    "params",
    [
        {
            "Media": {"MediaBytes": VOICE},
            "LanguageDetectionMode": "IDENTIFY_LANGUAGE",
            "LanguageOptions": ["en"],
        },
        {"Media": {"MediaBytes": VOICE}},
        {"Media": {"MediaBytes": VOICE}, "Language": "en", "LanguageDetectionMode": "IDENTIFY_LANGUAGE"},
        {"Media": {"MediaBytes": VOICE}, "Language": "nl"},
        {"Media": {"MediaBytes": b"x" * (25 * 1024 * 1024 + 1)}, "Language": "en"},
        {"Media": {"MediaFileUri": "s3://media/missing.ogg"}, "Language": "en"},
    ],
    ids=["one-option", "no-language", "both", "unsupported", "too-big", "missing-object"],
)
def test_transcribe_audio_validates_its_input(sdk, twin, params):
    with pytest.raises(ClientError) as excinfo:
        sdk("transcribe").transcribe_audio(**params)

    assert error_code(excinfo) == "BadRequestException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert twin.calls_to("transcribe", "TranscribeAudio")[-1]["error"] == "BadRequestException"


def test_injected_fault_surfaces_with_its_code_and_model_status(sdk, twin):
    # boto3's standard retry mode retries 429 LimitExceededException up to 3 attempts in all.
    twin.transcripts.fail_next("TranscribeAudio", "LimitExceededException", "Slow down", times=3)

    with pytest.raises(ClientError) as excinfo:
        sdk("transcribe").transcribe_audio(Media={"MediaBytes": VOICE}, Language="en")

    assert (error_code(excinfo), excinfo.value.response["Error"]["Message"]) == (
        "LimitExceededException",
        "Slow down",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert [c["status"] for c in twin.calls_to("transcribe", "TranscribeAudio")] == [429, 429, 429]
    # The fault is used up: the next call succeeds.
    sdk("transcribe").transcribe_audio(Media={"MediaBytes": VOICE}, Language="en")


def test_twin_inject_fault_routes_transcribe_faults(sdk, twin):
    twin.inject_fault("transcribe", "StartTranscriptionJob", "BadRequestException", message="nope")

    with pytest.raises(ClientError) as excinfo:
        start_job(sdk)

    assert error_code(excinfo) == "BadRequestException"
    assert twin.transcripts.jobs == {}


def test_transcribe_audio_is_logged_with_blob_digests(sdk, twin):
    sdk("transcribe").transcribe_audio(
        Media={"MediaBytes": VOICE}, LanguageDetectionMode="IDENTIFY_LANGUAGE", LanguageOptions=["en", "pt"]
    )

    (call,) = twin.calls_to("transcribe")
    assert call["at"] > 0
    del call["at"]
    assert [call] == [
        {
            "service": "transcribe",
            "operation": "TranscribeAudio",
            "params": {
                "Media": {"MediaBytes": {"size": len(VOICE), "sha256": sha256(VOICE)}},
                "LanguageDetectionMode": "IDENTIFY_LANGUAGE",
                "LanguageOptions": ["en", "pt"],
            },
            "status": 200,
            "error": None,
        }
    ]


# --- batch jobs ---


def test_job_completes_with_the_transcript_file_in_s3(sdk, twin):
    twin.transcripts.register(sha256(VOICE), "Hello, I need help", language_code="en-US")
    uri = media_in_s3(sdk)

    started = start_job(sdk, uri=uri, OutputKey="transcripts/voice-1")
    job = sdk("transcribe").get_transcription_job(TranscriptionJobName="voice-1")["TranscriptionJob"]

    assert started["TranscriptionJobStatus"] in ("QUEUED", "IN_PROGRESS")
    assert job["TranscriptionJobStatus"] == "COMPLETED"
    assert job["LanguageCode"] == "en-US"
    assert job["Transcript"]["TranscriptFileUri"] == (
        "https://s3.us-east-1.amazonaws.com/media/transcripts/voice-1/voice-1.json"
    )
    assert read_json(sdk, "media", "transcripts/voice-1/voice-1.json") == {
        "jobName": "voice-1",
        "accountId": "123456789012",
        "status": "COMPLETED",
        "results": {
            "language_code": "en-US",
            "transcripts": [{"transcript": "Hello, I need help"}],
            "language_identification": [
                {"code": "en-US", "score": "0.9883"},
                {"code": "pt-BR", "score": "0.0117"},
            ],
            "items": [],
        },
    }


def test_output_key_ending_in_json_is_the_file(sdk, twin):
    uri = media_in_s3(sdk)

    start_job(sdk, uri=uri, OutputKey="t/x.json")

    job = sdk("transcribe").get_transcription_job(TranscriptionJobName="voice-1")["TranscriptionJob"]
    assert job["Transcript"]["TranscriptFileUri"].endswith("/media/t/x.json")
    document = read_json(sdk, "media", "t/x.json")
    assert document["results"]["transcripts"][0]["transcript"] == "(emulated transcript)"


def test_identified_language_is_one_of_the_options(sdk, twin):
    twin.transcripts.register(VOICE, "Hola", language_code="es-US")
    uri = media_in_s3(sdk)

    start_job(sdk, uri=uri, LanguageOptions=["pt-BR", "en-US"])

    job = sdk("transcribe").get_transcription_job(TranscriptionJobName="voice-1")["TranscriptionJob"]
    assert job["LanguageCode"] == "pt-BR"


def test_held_job_stays_in_progress_until_completed(sdk, twin):
    twin.transcripts.register(VOICE, "held text", language_code="en-GB")
    uri = media_in_s3(sdk)
    twin.transcripts.hold_jobs = True
    transcribe = sdk("transcribe")

    start_job(sdk, uri=uri, LanguageOptions=["en-GB", "en-US"], OutputKey="t/held.json")
    before = transcribe.get_transcription_job(TranscriptionJobName="voice-1")["TranscriptionJob"]
    event = twin.transcripts.complete_job("voice-1")
    after = transcribe.get_transcription_job(TranscriptionJobName="voice-1")["TranscriptionJob"]

    assert before["TranscriptionJobStatus"] == "IN_PROGRESS"
    assert "Transcript" not in before
    assert after["TranscriptionJobStatus"] == "COMPLETED"
    assert read_json(sdk, "media", "t/held.json")["results"]["language_code"] == "en-GB"
    assert event["detail"] == {"TranscriptionJobName": "voice-1", "TranscriptionJobStatus": "COMPLETED"}


def test_completed_job_event_is_shaped_for_on_cw_event(sdk, twin):
    start_job(sdk, uri=media_in_s3(sdk))

    event = twin.transcription_job_event("voice-1")

    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert (event["version"], event["detail-type"], event["source"]) == (
        "0",
        "Transcribe Job State Change",
        "aws.transcribe",
    )
    assert (event["account"], event["region"], event["resources"]) == ("123456789012", "us-east-1", [])
    assert event["time"].endswith("Z")
    assert event["detail"] == {"TranscriptionJobName": "voice-1", "TranscriptionJobStatus": "COMPLETED"}


def test_job_on_missing_media_fails_with_a_reason_and_event(sdk, twin):
    sdk("s3").create_bucket(Bucket="media")

    start_job(sdk, uri="s3://media/none.ogg")

    job = sdk("transcribe").get_transcription_job(TranscriptionJobName="voice-1")["TranscriptionJob"]
    event = twin.transcription_job_event("voice-1")
    assert job["TranscriptionJobStatus"] == "FAILED"
    assert event["detail"]["TranscriptionJobStatus"] == "FAILED"
    assert event["detail"]["FailureReason"] == job["FailureReason"]


def test_held_job_can_be_failed(sdk, twin):
    twin.transcripts.hold_jobs = True
    start_job(sdk, uri=media_in_s3(sdk))

    event = twin.transcripts.fail_job("voice-1", "The media format is not supported")

    assert event["detail"]["FailureReason"] == "The media format is not supported"
    job = sdk("transcribe").get_transcription_job(TranscriptionJobName="voice-1")["TranscriptionJob"]
    assert (job["TranscriptionJobStatus"], job["FailureReason"]) == (
        "FAILED",
        "The media format is not supported",
    )


def test_event_of_an_unfinished_job_is_refused(sdk, twin):
    twin.transcripts.hold_jobs = True
    start_job(sdk, uri=media_in_s3(sdk))

    with pytest.raises(ValueError):
        twin.transcription_job_event("voice-1")


def test_job_errors(sdk, twin):
    uri = media_in_s3(sdk)
    start_job(sdk, uri=uri)
    transcribe = sdk("transcribe")

    with pytest.raises(ClientError) as conflict:
        start_job(sdk, uri=uri)
    with pytest.raises(ClientError) as two_modes:
        start_job(sdk, name="voice-2", uri=uri, LanguageCode="en-US")
    with pytest.raises(ClientError) as unknown:
        transcribe.get_transcription_job(TranscriptionJobName="nope")

    assert (error_code(conflict), conflict.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ConflictException",
        409,
    )
    assert error_code(two_modes) == "BadRequestException"
    assert error_code(unknown) == "BadRequestException"


def test_list_and_delete_jobs(sdk, twin):
    twin.transcripts.hold_jobs = True
    uri = media_in_s3(sdk)
    start_job(sdk, name="a", uri=uri)
    start_job(sdk, name="b", uri=uri)
    twin.transcripts.complete_job("a")
    transcribe = sdk("transcribe")

    listed = transcribe.list_transcription_jobs(Status="COMPLETED")["TranscriptionJobSummaries"]
    transcribe.delete_transcription_job(TranscriptionJobName="a")

    assert [job["TranscriptionJobName"] for job in listed] == ["a"]
    assert listed[0]["OutputLocationType"] == "CUSTOMER_BUCKET"
    assert list(twin.transcripts.jobs) == ["b"]


def test_job_without_output_bucket_is_fetchable_from_the_service_bucket(sdk, twin):
    twin.transcripts.register(VOICE, "service bucket")
    sdk("transcribe").start_transcription_job(
        TranscriptionJobName="svc", Media={"MediaFileUri": media_in_s3(sdk)}, LanguageCode="en-US"
    )

    uri = sdk("transcribe").get_transcription_job(TranscriptionJobName="svc")["TranscriptionJob"][
        "Transcript"
    ]["TranscriptFileUri"]

    with urllib.request.urlopen(uri) as response:
        document = json.load(response)
    assert document["results"]["transcripts"] == [{"transcript": "service bucket"}]
    assert "language_identification" not in document["results"]


def test_job_calls_are_logged_without_the_twins_own_s3_calls(sdk, twin):
    uri = media_in_s3(sdk)
    twin.clear_calls()

    start_job(sdk, uri=uri)
    sdk("transcribe").get_transcription_job(TranscriptionJobName="voice-1")

    assert [(c["service"], c["operation"], c["status"]) for c in twin.calls] == [
        ("transcribe", "StartTranscriptionJob", 200),
        ("transcribe", "GetTranscriptionJob", 200),
    ]
    assert twin.calls[0]["params"] == {
        "TranscriptionJobName": "voice-1",
        "Media": {"MediaFileUri": uri},
        "MediaFormat": "ogg",
        "IdentifyLanguage": True,
        "LanguageOptions": ["en-US", "pt-BR"],
        "OutputBucketName": "media",
        "OutputKey": "transcripts/",
    }


def test_reset_clears_transcribe_state(sdk, twin):
    twin.transcripts.register(VOICE, "gone")
    twin.transcripts.hold_jobs = True
    twin.transcripts.fail_next("TranscribeAudio", "BadRequestException")
    start_job(sdk, uri=media_in_s3(sdk))

    twin.reset()

    assert (twin.transcripts.jobs, twin.transcripts.hold_jobs) == ({}, False)
    response = sdk("transcribe").transcribe_audio(Media={"MediaBytes": VOICE}, Language="en")
    assert response["TranscriptResponse"]["Results"]["Transcript"] == "(emulated transcript)"


def test_other_transcribe_operations_still_reach_moto(sdk, twin):
    sdk("transcribe").create_vocabulary(VocabularyName="words", LanguageCode="en-US", Phrases=["Connect"])

    assert sdk("transcribe").get_vocabulary(VocabularyName="words")["VocabularyName"] == "words"


# --- the smithy RPC v2 CBOR wire format (the model's first protocol; boto3 1.44.8 sends json) ---


def cbor_call(twin, operation, params):
    """Sends one operation as smithy-rpc-v2-cbor, with botocore's own serializer and parser."""
    model = botocore.session.get_session().get_service_model("transcribe").operation_model(operation)
    serialized = create_serializer("smithy-rpc-v2-cbor").serialize_to_request(params, model)
    request = urllib.request.Request(
        twin.moto_url + serialized["url_path"],
        data=serialized["body"],
        method="POST",
        headers=dict(serialized["headers"]),
    )
    try:
        with urllib.request.urlopen(request) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    assert serialized["url_path"] == f"/service/Transcribe/operation/{operation}"
    return create_parser("smithy-rpc-v2-cbor").parse(
        {"status_code": status, "headers": {k.lower(): v for k, v in headers.items()}, "body": body},
        model.output_shape,
    )


def test_cbor_transcribe_audio_and_jobs(sdk, twin):
    twin.transcripts.register(VOICE, "over cbor", language_code="en-US")
    uri = media_in_s3(sdk)

    audio = cbor_call(twin, "TranscribeAudio", {"Media": {"MediaBytes": VOICE}, "Language": "en"})
    cbor_call(
        twin,
        "StartTranscriptionJob",
        {
            "TranscriptionJobName": "c1",
            "Media": {"MediaFileUri": uri},
            "LanguageCode": "en-US",
            "OutputBucketName": "media",
        },
    )
    job = cbor_call(twin, "GetTranscriptionJob", {"TranscriptionJobName": "c1"})["TranscriptionJob"]
    missing = cbor_call(twin, "GetTranscriptionJob", {"TranscriptionJobName": "nope"})

    assert audio["TranscriptResponse"]["Results"]["Transcript"] == "over cbor"
    assert job["TranscriptionJobStatus"] == "COMPLETED"
    assert job["CreationTime"].year >= 2024
    assert missing["Error"]["Code"] == "BadRequestException"
    assert twin.calls_to("transcribe", "TranscribeAudio")[-1]["params"]["Media"]["MediaBytes"][
        "sha256"
    ] == sha256(VOICE)
