"""Amazon Transcribe: batch transcription jobs and the synchronous TranscribeAudio.

Served in front of moto (see moto_server.py), on the one AWS_ENDPOINT_URL_TRANSCRIBE. moto's own
transcription jobs advance one status per GetTranscriptionJob call, never write a transcript to S3
and name the output file differently; and moto has no TranscribeAudio. So jobs and TranscribeAudio
are served here; other Transcribe operations (vocabularies, medical, ...) still reach moto.

Wire formats: botocore 1.44.8 speaks awsJson1_1 to Transcribe (`X-Amz-Target: Transcribe.<Op>`):
the model lists ['smithy-rpc-v2-cbor', 'json'], but botocore picks by its own priority order, in
which json comes first. Smithy RPC v2 CBOR (`POST /service/Transcribe/operation/<Op>`), which other
SDKs may choose, is served too, encoded and decoded with botocore's own CBOR code.

Transcripts are what tests register, keyed by the sha256 of the audio (bytes sent to
TranscribeAudio, or the S3 object a job reads); unregistered audio gets DEFAULT_TRANSCRIPT.
"""

import base64
import datetime
import hashlib
import json
import logging
import re
import threading
import uuid

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import NoShapeFoundError, ShapeResolver, StructureShape
from botocore.parsers import ResponseParserError, RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer
from werkzeug.wrappers import Request, Response

from emulator.moto_server import internal_client
from emulator.restjson import ServiceError, locked

logger = logging.getLogger(__name__)

DEFAULT_TRANSCRIPT = "(emulated transcript)"
DEFAULT_LANGUAGE = "en-US"
IDENTIFIED_SCORE = "0.9883"

JOB_OPERATIONS = (
    "StartTranscriptionJob",
    "GetTranscriptionJob",
    "ListTranscriptionJobs",
    "DeleteTranscriptionJob",
)
SERVED_OPERATIONS = JOB_OPERATIONS + ("TranscribeAudio",)

_MODEL = botocore.session.get_session().get_service_model("transcribe")
_TARGET_PREFIX = _MODEL.metadata["targetPrefix"] + "."
_CBOR_PATH = re.compile(r"^/service/" + re.escape(_MODEL.metadata["targetPrefix"]) + r"/operation/(\w+)$")

_JOB_NAME = re.compile(r"^[0-9a-zA-Z._-]{1,200}$")
_OUTPUT_BUCKET = re.compile(r"^[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9]$")
_OUTPUT_KEY = re.compile(r"^[a-zA-Z0-9\-_.!*'()/]{1,1024}$")
_S3_URI = re.compile(r"^s3://([^/]+)/(.+)$")
_MEDIA_FORMATS = set(_MODEL.shape_for("MediaFormat").enum)
_LANGUAGE_CODES = set(_MODEL.shape_for("LanguageCode").enum)
_SYNC_LANGUAGES = list(_MODEL.shape_for("SyncLanguage").enum)
_SYNC_LOCALES = set(_MODEL.shape_for("SyncLanguageCode").enum)
# The locale TranscribeAudio reports for a base language when the registered one does not fit.
_SYNC_DEFAULT_LOCALE = {
    "en": "en-US",
    "es": "es-US",
    "fr": "fr-FR",
    "it": "it-IT",
    "de": "de-DE",
    "ja": "ja-JP",
    "pt": "pt-BR",
    "ko": "ko-KR",
    "zh-CN": "zh-CN",
    "zh-TW": "zh-TW",
    "zh-HK": "zh-HK",
}
_SYNC_MAX_BYTES = 26214400  # MediaBytesBlob max: 25 MB
_SYNC_MAX_S3_BYTES = 500 * 1024 * 1024

_MEDIA_MISSING = (
    "The URI that you provided doesn't point to an S3 object. Make sure that the object exists "
    "and try your request again."
)
_JOB_MISSING = "The requested job couldn't be found. Check the job name and try your request again."

_CBOR_PARSER = RpcV2CBORParser()
_CBOR_SERIALIZER = RpcV2CBORSerializer()
_CBOR_ERROR_SHAPE = StructureShape(
    "Error",
    {"type": "structure", "members": {"__type": {"shape": "String"}, "message": {"shape": "String"}}},
    ShapeResolver({"String": {"type": "string"}}),
)


class TranscribeEmulator:
    """`twin.transcripts`: the registered transcripts, the jobs, and Transcribe's faults."""

    def __init__(self, call_log, iam, account_id="123456789012", region="us-east-1"):
        self._lock = threading.RLock()
        self._log = call_log
        self._iam = iam
        self.account_id = account_id
        self.region = region
        # The moto server, where media is read and transcripts written. The twin sets it once
        # moto's port is known.
        self.s3_endpoint_url = None
        self._s3_client = None
        self.reset()

    @locked
    def reset(self):
        self.jobs = {}
        self.hold_jobs = False
        self._transcripts = {None: (DEFAULT_TRANSCRIPT, DEFAULT_LANGUAGE)}
        self._faults = {}

    # --- test controls ---

    @locked
    def register(self, audio_sha256, text, language_code=DEFAULT_LANGUAGE):
        """The transcript of audio with this sha256 (hex, or the audio bytes themselves);
        None sets the transcript of every unregistered audio."""
        if isinstance(audio_sha256, (bytes, bytearray)):
            audio_sha256 = hashlib.sha256(audio_sha256).hexdigest()
        self._transcripts[audio_sha256] = (text, language_code)

    @locked
    def fail_next(self, operation, code, message="Injected fault", times=1, status=None):
        """The next `times` calls of the operation fail with `code` (HTTP status from the model's
        error shape, else 400). Retryable codes (LimitExceededException, InternalFailureException)
        are retried by boto3's standard mode: use times=3 to exhaust its attempts."""
        self._faults[operation] = {
            "error": ServiceError(code, message, status or _error_status(code)),
            "remaining": times,
        }

    @locked
    def complete_job(self, name):
        """Completes a held job now (transcript written to S3, or FAILED if its media cannot be
        read); returns its EventBridge event."""
        job = self._job(name)
        if job["TranscriptionJobStatus"] != "IN_PROGRESS":
            raise ValueError(f"Job {name} is {job['TranscriptionJobStatus']}, not IN_PROGRESS")
        self._complete(job)
        return self.job_event(name)

    @locked
    def fail_job(self, name, reason="Injected failure"):
        """A held job fails with this reason; returns its EventBridge event."""
        job = self._job(name)
        if job["TranscriptionJobStatus"] != "IN_PROGRESS":
            raise ValueError(f"Job {name} is {job['TranscriptionJobStatus']}, not IN_PROGRESS")
        self._fail(job, reason)
        return self.job_event(name)

    @locked
    def job_event(self, name):
        """The EventBridge event of a finished job, as Lambda hands it to an on_cw_event handler."""
        job = self._job(name)
        status = job["TranscriptionJobStatus"]
        if status not in ("COMPLETED", "FAILED"):
            raise ValueError(f"Job {name} is {status}; Transcribe sends events for COMPLETED or FAILED")
        detail = {"TranscriptionJobName": name, "TranscriptionJobStatus": status}
        if status == "FAILED":
            detail["FailureReason"] = job["FailureReason"]
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Transcribe Job State Change",
            "source": "aws.transcribe",
            "account": self.account_id,
            "time": _iso(job["CompletionTime"]),
            "region": self.region,
            "resources": [],
            "detail": detail,
        }

    # --- WSGI ---

    @staticmethod
    def serves(environ):
        """Whether the request is one for this emulator rather than moto."""
        if _CBOR_PATH.match(environ.get("PATH_INFO", "")):
            return True
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        return target.startswith(_TARGET_PREFIX) and target[len(_TARGET_PREFIX) :] in SERVED_OPERATIONS

    def __call__(self, environ, start_response):
        request = Request(environ)
        match = _CBOR_PATH.match(request.path)
        if match:
            protocol, name = "cbor", match.group(1)
        else:
            protocol, name = "json", request.headers["X-Amz-Target"][len(_TARGET_PREFIX) :]
        params = {}
        try:
            if name not in SERVED_OPERATIONS:
                raise ServiceError("UnknownOperationException", f"The twin does not serve {name}", 404)
            operation = _MODEL.operation_model(name)
            params = _decode(protocol, request.get_data(), operation.input_shape)
            refusal = self._iam.refusal(environ, "transcribe", name, params)
            if refusal is not None:
                raise ServiceError("AccessDeniedException", refusal)
            self._raise_fault(name)
            missing = [member for member in operation.input_shape.required_members if member not in params]
            if missing:
                raise ServiceError("BadRequestException", f"Missing required members: {missing}")
            result = getattr(self, "_" + _snake(name))(params)
        except ServiceError as error:
            self._log.record("transcribe", name, _loggable(params), error.status, error.code)
            return _error_response(protocol, error)(environ, start_response)
        except Exception as error:  # a twin bug still answers like AWS, and is logged
            logger.exception("Transcribe emulator failed on %s", name)
            failure = ServiceError("InternalFailureException", f"Twin error: {error!r}", 500)
            self._log.record("transcribe", name, _loggable(params), 500, failure.code)
            return _error_response(protocol, failure)(environ, start_response)
        self._log.record("transcribe", name, _loggable(params), 200, None)
        return _response(protocol, result, operation.output_shape)(environ, start_response)

    @locked
    def _raise_fault(self, operation):
        fault = self._faults.get(operation)
        if fault is None:
            return
        fault["remaining"] -= 1
        if fault["remaining"] <= 0:
            del self._faults[operation]
        raise fault["error"]

    # --- operations ---

    @locked
    def _start_transcription_job(self, params):
        name = params["TranscriptionJobName"]
        if not _JOB_NAME.match(name):
            raise ServiceError("BadRequestException", f"Invalid TranscriptionJobName {name!r}")
        media_uri = params["Media"].get("MediaFileUri")
        if not media_uri or not _S3_URI.match(media_uri):
            raise ServiceError("BadRequestException", "Media.MediaFileUri must be s3://bucket/key")
        media_format = params.get("MediaFormat")
        if media_format is not None and media_format not in _MEDIA_FORMATS:
            raise ServiceError("BadRequestException", f"Unsupported MediaFormat {media_format!r}")
        modes = [
            m for m in ("LanguageCode", "IdentifyLanguage", "IdentifyMultipleLanguages") if params.get(m)
        ]
        if len(modes) != 1:
            raise ServiceError(
                "BadRequestException",
                "Set exactly one of LanguageCode, IdentifyLanguage and IdentifyMultipleLanguages",
            )
        options = params.get("LanguageOptions")
        if options is not None:
            if modes[0] == "LanguageCode":
                raise ServiceError("BadRequestException", "LanguageOptions needs IdentifyLanguage")
            bad = [code for code in options if code not in _LANGUAGE_CODES]
            if bad or not options or len(set(options)) != len(options):
                raise ServiceError("BadRequestException", f"Invalid LanguageOptions {options}")
        language_code = params.get("LanguageCode")
        if language_code is not None and language_code not in _LANGUAGE_CODES:
            raise ServiceError("BadRequestException", f"Unsupported LanguageCode {language_code!r}")
        bucket, key = params.get("OutputBucketName"), params.get("OutputKey")
        if bucket is not None and not _OUTPUT_BUCKET.match(bucket):
            raise ServiceError("BadRequestException", f"Invalid OutputBucketName {bucket!r}")
        if key is not None and (bucket is None or not _OUTPUT_KEY.match(key)):
            raise ServiceError(
                "BadRequestException", f"Invalid OutputKey {key!r} (it needs OutputBucketName)"
            )
        if name in self.jobs:
            raise ServiceError(
                "ConflictException", "The requested job name already exists. Use a different job name.", 409
            )
        now = _now()
        job = {
            "TranscriptionJobName": name,
            "TranscriptionJobStatus": "IN_PROGRESS",
            "LanguageCode": language_code,
            "MediaFormat": media_format,
            "Media": {"MediaFileUri": media_uri},
            "StartTime": now,
            "CreationTime": now,
            "Settings": {"ChannelIdentification": False, "ShowAlternatives": False},
            "IdentifyLanguage": params.get("IdentifyLanguage"),
            "IdentifyMultipleLanguages": params.get("IdentifyMultipleLanguages"),
            "LanguageOptions": options,
            "Tags": params.get("Tags"),
            "_output": (bucket, key),
        }
        self.jobs[name] = job
        started = {"TranscriptionJob": _public(job)}
        if not self.hold_jobs:
            self._complete(job)
        return started

    @locked
    def _get_transcription_job(self, params):
        try:
            return {"TranscriptionJob": _public(self.jobs[params["TranscriptionJobName"]])}
        except KeyError:
            raise ServiceError("BadRequestException", _JOB_MISSING) from None

    @locked
    def _list_transcription_jobs(self, params):
        status, contains = params.get("Status"), params.get("JobNameContains")
        summary_fields = (
            "TranscriptionJobName",
            "CreationTime",
            "StartTime",
            "CompletionTime",
            "LanguageCode",
            "TranscriptionJobStatus",
            "FailureReason",
            "OutputLocationType",
            "IdentifyLanguage",
            "IdentifyMultipleLanguages",
            "IdentifiedLanguageScore",
        )
        jobs = sorted(self.jobs.values(), key=lambda job: job["CreationTime"], reverse=True)
        summaries = [
            {field: job[field] for field in summary_fields if job.get(field) is not None}
            for job in jobs
            if (status is None or job["TranscriptionJobStatus"] == status)
            and (contains is None or contains.lower() in job["TranscriptionJobName"].lower())
        ]
        result = {"TranscriptionJobSummaries": summaries[: params.get("MaxResults", 100)]}
        if status is not None:
            result["Status"] = status
        return result

    @locked
    def _delete_transcription_job(self, params):
        if self.jobs.pop(params["TranscriptionJobName"], None) is None:
            raise ServiceError("BadRequestException", _JOB_MISSING)
        return {}

    def _transcribe_audio(self, params):
        media = params["Media"]
        data, uri = media.get("MediaBytes"), media.get("MediaFileUri")
        if (data is None) == (uri is None):
            raise ServiceError(
                "BadRequestException", "Media needs exactly one of MediaBytes and MediaFileUri"
            )
        if data is not None and not 1 <= len(data) <= _SYNC_MAX_BYTES:
            raise ServiceError(
                "BadRequestException", f"MediaBytes must be 1 to {_SYNC_MAX_BYTES} bytes, got {len(data)}"
            )
        language, mode = params.get("Language"), params.get("LanguageDetectionMode")
        options = params.get("LanguageOptions")
        if (language is None) == (mode is None):
            raise ServiceError(
                "BadRequestException", "Include exactly one of Language and LanguageDetectionMode"
            )
        if language is not None and language not in _SYNC_DEFAULT_LOCALE:
            raise ServiceError("BadRequestException", f"Unsupported Language {language!r}")
        if mode is not None and mode != "IDENTIFY_LANGUAGE":
            raise ServiceError("BadRequestException", f"Unsupported LanguageDetectionMode {mode!r}")
        if options is not None:
            if mode is None:
                raise ServiceError("BadRequestException", "LanguageOptions needs LanguageDetectionMode")
            if len(options) < 2 or len(set(options)) != len(options):
                raise ServiceError(
                    "BadRequestException", "LanguageOptions needs two or more different languages"
                )
            bad = [code for code in options if code not in _SYNC_DEFAULT_LOCALE]
            if bad:
                raise ServiceError("BadRequestException", f"Unsupported LanguageOptions {bad}")
        output_uri = (params.get("OutputConfiguration") or {}).get("OutputMediaFileUri")
        if output_uri is not None and not re.match(r"^s3://[^/]+(/.*)?$", output_uri):
            raise ServiceError("BadRequestException", "OutputMediaFileUri must be an s3:// location")
        if data is None:
            data = self._read_s3_uri(uri, _SYNC_MAX_S3_BYTES)
            if data is None:
                raise ServiceError("BadRequestException", _MEDIA_MISSING)
        text, registered = self._transcript_for(data)
        locale = _sync_locale(registered, [language] if language else options or _SYNC_LANGUAGES)
        metadata = {"LanguageCode": locale} if mode else {}
        media_format = _sniff_format(data)
        if media_format:
            metadata["MediaFormat"] = media_format
        metadata["NumberOfChannels"] = 1
        transcript = {"Metadata": metadata, "Results": {"Transcript": text, "Items": []}}
        if output_uri is None:
            return {"TranscriptResponse": transcript}
        bucket, _, key = output_uri[len("s3://") :].partition("/")
        if not key or key.endswith("/"):
            key += f"{uuid.uuid4()}.json"
        if not self._put_json(bucket, key, transcript):
            raise ServiceError("BadRequestException", f"Cannot write to s3://{bucket}/{key}")
        return {"OutputConfiguration": {"OutputMediaFileUri": f"s3://{bucket}/{key}"}}

    # --- jobs ---

    def _job(self, name):
        try:
            return self.jobs[name]
        except KeyError:
            raise KeyError(f"No transcription job {name}") from None

    def _complete(self, job):
        data = self._read_s3_uri(job["Media"]["MediaFileUri"])
        if data is None:
            self._fail(job, _MEDIA_MISSING)
            return
        text, registered = self._transcript_for(data)
        options = job["LanguageOptions"]
        if job["LanguageCode"]:
            language = job["LanguageCode"]
        else:
            language = registered if not options or registered in options else options[0]
        name = job["TranscriptionJobName"]
        results = {"language_code": language, "transcripts": [{"transcript": text}]}
        if not job["LanguageCode"]:
            others = [code for code in options or [] if code != language]
            rest = f"{(1 - float(IDENTIFIED_SCORE)) / len(others):.4f}" if others else None
            results["language_identification"] = [{"code": language, "score": IDENTIFIED_SCORE}] + [
                {"code": code, "score": rest} for code in others
            ]
        results["items"] = []
        document = {"jobName": name, "accountId": self.account_id, "status": "COMPLETED", "results": results}
        bucket, key = job["_output"]
        if bucket:
            if key is None:
                key = f"{name}.json"
            elif not key.endswith(".json"):
                key = f"{key.rstrip('/')}/{name}.json"
            uri = f"https://s3.{self.region}.amazonaws.com/{bucket}/{key}"
            location = "CUSTOMER_BUCKET"
        else:
            # The service's own bucket. The real URI is presigned; this one points at moto and the
            # object is public-read, so a plain GET fetches it locally.
            bucket = f"aws-transcribe-{self.region}-prod"
            key = f"{self.account_id}/{name}/{uuid.uuid4()}/asrOutput.json"
            self._ensure_bucket(bucket)
            uri = f"{self.s3_endpoint_url}/{bucket}/{key}"
            location = "SERVICE_BUCKET"
        if not self._put_json(bucket, key, document, public=location == "SERVICE_BUCKET"):
            self._fail(job, f"Amazon Transcribe can't write to the output bucket {bucket}.")
            return
        job |= {
            "TranscriptionJobStatus": "COMPLETED",
            "LanguageCode": language,
            "Transcript": {"TranscriptFileUri": uri},
            "CompletionTime": _now(),
            "OutputLocationType": location,
        }
        if job["IdentifyLanguage"] or job["IdentifyMultipleLanguages"]:
            job["IdentifiedLanguageScore"] = float(IDENTIFIED_SCORE)
        if job["IdentifyMultipleLanguages"]:
            job["LanguageCodes"] = [{"LanguageCode": language, "DurationInSeconds": 1.0}]

    def _fail(self, job, reason):
        job |= {"TranscriptionJobStatus": "FAILED", "FailureReason": reason, "CompletionTime": _now()}

    @locked
    def _transcript_for(self, data):
        digest = hashlib.sha256(data).hexdigest()
        return self._transcripts.get(digest, self._transcripts[None])

    # --- S3, through moto, out of the call log ---

    @property
    def _s3(self):
        if self._s3_client is None:
            self._s3_client = internal_client("s3", self.s3_endpoint_url, self.region, Config(
                s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 1}))
        return self._s3_client

    def _read_s3_uri(self, uri, max_bytes=None):
        match = _S3_URI.match(uri)
        if match is None:
            return None
        try:
            obj = self._s3.get_object(Bucket=match.group(1), Key=match.group(2))
        except ClientError:
            return None
        if max_bytes is not None and obj["ContentLength"] > max_bytes:
            raise ServiceError("BadRequestException", f"The media is larger than {max_bytes} bytes")
        return obj["Body"].read()

    def _put_json(self, bucket, key, document, public=False):
        extra = {"ACL": "public-read"} if public else {}
        try:
            self._s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=json.dumps(document).encode(),
                ContentType="application/json",
                **extra,
            )
        except ClientError:
            return False
        return True

    def _ensure_bucket(self, bucket):
        try:
            self._s3.create_bucket(Bucket=bucket)
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise


# --- wire ---


def _decode(protocol, body, shape):
    if not body:
        return {}
    try:
        raw = _CBOR_PARSER._initial_body_parse(body) if protocol == "cbor" else json.loads(body)
    except (ValueError, TypeError, IndexError, ResponseParserError) as error:
        raise ServiceError("SerializationException", f"Cannot decode the request body: {error}") from None
    if not isinstance(raw, dict):
        raise ServiceError("SerializationException", "The request body is not an object")
    return _from_wire(raw, shape, protocol)


def _from_wire(value, shape, protocol):
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            name: _from_wire(member, shape.members[name], protocol)
            for name, member in value.items()
            if name in shape.members and member is not None
        }
    if kind == "list" and isinstance(value, list):
        return [_from_wire(item, shape.member, protocol) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _from_wire(item, shape.value, protocol) for key, item in value.items()}
    if kind == "blob" and isinstance(value, str):
        if protocol == "json":
            try:
                return base64.b64decode(value, validate=True)
            except ValueError:
                raise ServiceError("SerializationException", "A blob member is not base64") from None
        return value.encode()
    return value


def _prune(value, shape):
    """Only what the output shape has: internal fields and Nones never reach the wire."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            name: _prune(member, shape.members[name])
            for name, member in value.items()
            if name in shape.members and member is not None
        }
    if kind == "list" and isinstance(value, list):
        return [_prune(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _prune(item, shape.value) for key, item in value.items()}
    return value


def _response(protocol, payload, shape):
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    payload = {} if shape is None else _prune(payload, shape)
    if protocol == "cbor":
        body = bytearray()
        if shape is not None:
            _CBOR_SERIALIZER._serialize_data_item(body, payload, shape)
        headers["smithy-protocol"] = "rpc-v2-cbor"
        return Response(bytes(body), status=200, content_type="application/cbor", headers=headers)
    return Response(
        json.dumps(payload, default=_epoch),
        status=200,
        content_type="application/x-amz-json-1.1",
        headers=headers,
    )


def _error_response(protocol, error):
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": error.code}
    if protocol == "cbor":
        body = bytearray()
        _CBOR_SERIALIZER._serialize_data_item(
            body, {"__type": error.code, "message": error.message}, _CBOR_ERROR_SHAPE
        )
        headers["smithy-protocol"] = "rpc-v2-cbor"
        return Response(bytes(body), status=error.status, content_type="application/cbor", headers=headers)
    body = json.dumps({"__type": error.code, "Message": error.message})
    return Response(body, status=error.status, content_type="application/x-amz-json-1.1", headers=headers)


def _error_status(code):
    try:
        shape = _MODEL.shape_for(code)
    except NoShapeFoundError:  # not one of the model's errors
        return 400
    return shape.metadata.get("error", {}).get("httpStatusCode", 400)


def _loggable(value):
    """Request members for the call log: blobs become their size and sha256."""
    if isinstance(value, (bytes, bytearray)):
        return {"size": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, dict):
        return {key: _loggable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_loggable(item) for item in value]
    return value


def _public(job):
    """A snapshot of the job; the response drops what TranscriptionJob does not have."""
    return {key: value for key, value in job.items() if not key.startswith("_") and value is not None}


def _sync_locale(registered, languages):
    """The locale TranscribeAudio reports: the registered one if its language is allowed."""
    base = registered if registered in ("zh-CN", "zh-TW", "zh-HK") else registered.split("-", 1)[0]
    if base in languages and registered in _SYNC_LOCALES:
        return registered
    return _SYNC_DEFAULT_LOCALE[languages[0]]


_MAGIC = (
    (b"OggS", "ogg"),
    (b"fLaC", "flac"),
    (b"ID3", "mp3"),
    (b"\xff\xfb", "mp3"),
    (b"\xff\xf3", "mp3"),
    (b"#!AMR", "amr"),
    (b"\x1a\x45\xdf\xa3", "webm"),
)


def _sniff_format(data):
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[4:8] == b"ftyp":
        return "m4a" if data[8:11] == b"M4A" else "mp4"
    for magic, media_format in _MAGIC:
        if data.startswith(magic):
            return media_format
    return None


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _now():
    return datetime.datetime.now(datetime.UTC)


def _epoch(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    raise TypeError(f"Cannot encode {value!r}")


def _iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
