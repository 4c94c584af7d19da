"""AWS End User Messaging Social: sending WhatsApp messages and moving media through S3."""

import json
import re
import threading
import urllib.error
import urllib.request
import uuid

from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.moto_server import INTERNAL_HEADER, internal_client
from emulator.restjson import ServiceError, locked

SOCIAL_OPERATIONS = ("SendWhatsAppMessage", "GetWhatsAppMessageMedia", "PostWhatsAppMessageMedia")

_PHONE_NUMBER_ID = re.compile(
    r"^(phone-number-id-[A-Za-z0-9]+|arn:aws:social-messaging:[a-z0-9-]+:\d{12}:phone-number-id/[A-Za-z0-9]+)$"
)
_META_API_VERSION = re.compile(r"^v\d+\.\d+$")
_MEDIA_ID = re.compile(r"^[A-Za-z0-9]{1,100}$")
# The extension the service appends to the destination key prefix. Only ogg is documented (the
# model's example `audio/` + `123.ogg`); the rest follow the file types WhatsApp sends.
_EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "audio/mp4": "m4a",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}


def extension_for(mime_type):
    return _EXTENSIONS.get(mime_type.split(";", 1)[0].strip().lower(), "bin")


class SocialEmulator:
    """Sent messages land in `sent`; media (by Meta media id) in `media`."""

    def __init__(self, s3_endpoint_url, region="us-east-1"):
        self._lock = threading.RLock()
        self._s3 = internal_client("s3", s3_endpoint_url, region,
                                   Config(s3={"addressing_style": "path"}))
        self.reset()

    @locked
    def reset(self):
        self.sent = []
        self.media = {}

    def handlers(self):
        return {
            ("socialmessaging", "SendWhatsAppMessage"): self.send_whats_app_message,
            ("socialmessaging", "GetWhatsAppMessageMedia"): self.get_whats_app_message_media,
            ("socialmessaging", "PostWhatsAppMessageMedia"): self.post_whats_app_message_media,
        }

    @locked
    def register_media(self, media_id, data, mime_type):
        self.media[media_id] = {"data": data, "mime_type": mime_type}

    @locked
    def send_whats_app_message(self, params):
        _check_phone_number_id(params["originationPhoneNumberId"])
        if not _META_API_VERSION.match(params["metaApiVersion"]):
            raise ServiceError("ValidationException", f"Invalid metaApiVersion {params['metaApiVersion']}")
        message = _decode_message(params["message"])
        record = {
            "originationPhoneNumberId": params["originationPhoneNumberId"],
            "metaApiVersion": params["metaApiVersion"],
            "message": message,
            "messageId": str(uuid.uuid4()),
        }
        self.sent.append(record)
        return {"messageId": record["messageId"]}

    @locked
    def get_whats_app_message_media(self, params):
        _check_phone_number_id(params["originationPhoneNumberId"])
        media_id = params["mediaId"]
        if not _MEDIA_ID.match(media_id):
            raise ServiceError("ValidationException", f"Invalid mediaId {media_id}")
        destination_file = params.get("destinationS3File")
        destination_url = params.get("destinationS3PresignedUrl")
        if destination_file and destination_url:
            raise ServiceError(
                "InvalidParametersException",
                "Give only one of destinationS3File and destinationS3PresignedUrl",
            )
        media = self.media.get(media_id)
        if media is None:
            raise ServiceError("ResourceNotFoundException", f"Media {media_id} not found", 404)
        result = {"mimeType": media["mime_type"], "fileSize": len(media["data"])}
        if params.get("metadataOnly"):
            return result
        if destination_file:
            key = f"{destination_file['key']}{media_id}.{extension_for(media['mime_type'])}"
            try:
                self._s3.put_object(
                    Bucket=destination_file["bucketName"],
                    Key=key,
                    Body=media["data"],
                    ContentType=media["mime_type"],
                )
            except ClientError as error:
                raise ServiceError(
                    "InvalidParametersException",
                    f"Cannot write s3://{destination_file['bucketName']}/{key}: {error}",
                )
        elif destination_url:
            _http(destination_url["url"], "PUT", destination_url["headers"], media["data"])
        else:
            raise ServiceError(
                "InvalidParametersException", "Give destinationS3File or destinationS3PresignedUrl"
            )
        return result

    @locked
    def post_whats_app_message_media(self, params):
        _check_phone_number_id(params["originationPhoneNumberId"])
        source_file = params.get("sourceS3File")
        source_url = params.get("sourceS3PresignedUrl")
        if bool(source_file) == bool(source_url):
            raise ServiceError(
                "InvalidParametersException", "Give exactly one of sourceS3File and sourceS3PresignedUrl"
            )
        if source_file:
            try:
                obj = self._s3.get_object(Bucket=source_file["bucketName"], Key=source_file["key"])
            except ClientError as error:
                raise ServiceError(
                    "InvalidParametersException",
                    f"Cannot read s3://{source_file['bucketName']}/{source_file['key']}: {error}",
                )
            data, mime_type = obj["Body"].read(), obj["ContentType"]
        else:
            mime_type = source_url["headers"].get("Content-Type")
            if not mime_type:
                raise ServiceError(
                    "InvalidParametersException", "sourceS3PresignedUrl headers must include Content-Type"
                )
            data = _http(source_url["url"], "GET", source_url["headers"])
        media_id = str(uuid.uuid4().int)[:16]
        self.media[media_id] = {"data": data, "mime_type": mime_type}
        return {"mediaId": media_id}


def _check_phone_number_id(value):
    if not _PHONE_NUMBER_ID.match(value):
        raise ServiceError(
            "ValidationException",
            f"originationPhoneNumberId must be phone-number-id-<id> or its ARN, got {value}",
        )


def _decode_message(blob):
    try:
        message = json.loads(blob)
    except ValueError:
        raise ServiceError("ValidationException", "message is not valid JSON")
    if not isinstance(message, dict) or message.get("messaging_product") != "whatsapp":
        raise ServiceError("ValidationException", "message must have messaging_product: whatsapp")
    if message.get("status") == "read":
        if not message.get("message_id"):
            raise ServiceError("ValidationException", "A read receipt needs message_id")
        return message
    if not message.get("to"):
        raise ServiceError("ValidationException", "message needs a recipient in 'to'")
    message_type = message.get("type", "text")
    if message_type not in message:
        raise ServiceError(
            "ValidationException", f"message of type {message_type} needs a '{message_type}' object"
        )
    return message


def _http(url, method, headers, data=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers | {INTERNAL_HEADER: "1"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as error:
        raise ServiceError("InvalidParametersException", f"{method} {url} failed: {error}")
