"""WhatsApp media through the media bucket: customers' files fetched into S3, agents' files posted from it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoredMedia:
    bucket: str
    key: str
    size: int


class MediaMissing(Exception):
    """The service reported the file fetched, yet nothing is under its prefix."""


class MediaTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def fetch_media_to_s3(social_client: Any, s3_client: Any, *, origination_id: str, media_id: str,
                      bucket: str, prefix: str) -> StoredMedia:
    """GetWhatsAppMessageMedia into the media bucket under a prefix of this message's own.

    The service combines the prefix with a name of its choosing, so the object is found by listing
    the prefix rather than by guessing that name. A retried fetch may leave a second copy of the
    same file there; either one serves.
    """
    social_client.get_whatsapp_message_media(
        mediaId=media_id, originationPhoneNumberId=origination_id,
        destinationS3File={"bucketName": bucket, "key": prefix})
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    objects = listing.get("Contents") or []
    if not objects:
        raise MediaMissing(prefix)
    return StoredMedia(bucket, objects[0]["Key"], int(objects[0]["Size"]))


def read_media(s3_client: Any, media: StoredMedia, max_bytes: int) -> bytes:
    if media.size > max_bytes:
        raise MediaTooLarge(media.size)
    return s3_client.get_object(Bucket=media.bucket, Key=media.key)["Body"].read()


def post_media(social_client: Any, s3_client: Any, *, origination_id: str, bucket: str, key: str,
               data: bytes, mime_type: str) -> str:
    """Stage the file in the media bucket and register it with WhatsApp; returns the media id."""
    s3_client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=mime_type)
    response = social_client.post_whatsapp_message_media(
        originationPhoneNumberId=origination_id, sourceS3File={"bucketName": bucket, "key": key})
    return response["mediaId"]
