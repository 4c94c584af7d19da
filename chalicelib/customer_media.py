"""A customer's image, document, video or voice note, made ready for a Connect chat attachment.

Fetching goes through the media bucket under a prefix of the message's own; the checks run before
anything is uploaded, so a file Connect would refuse becomes a clear note instead of an error.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from botocore.exceptions import ClientError

from . import audio, logs, media_staging, memory_budget, messaging
from .buffer import BufferedEntry
from .compose import bridge_note
from .config import Settings
from .aws_errors import error_code
from .digests import short_digest
from .media import (
    TOO_LARGE, AttachmentRules, Reason, base_mime, connect_refusal, human_size, is_voice_note,
    safe_file_name,
)
from .runtime import Runtime
from .media_staging import StoredMedia



@dataclass(frozen=True)
class VoiceNote:
    ogg: bytes
    stored: StoredMedia


@dataclass(frozen=True)
class MediaUpload:
    name: str
    mime_type: str
    data: bytes
    voice_note: VoiceNote | None = None


@dataclass(frozen=True)
class MediaRefusal:
    name: str
    mime_type: str
    size: int
    reason: Reason  # its code for the logs, its words for the agent and the customer


# Reason codes of customer media (media.py has the file rules' own).
MEDIA_ID_MISSING = "media_id_missing"
MEDIA_UNAVAILABLE = "media_unavailable"
VOICE_NOTE_TOO_LONG = "voice_note_too_long"
AUDIO_NOT_CONVERTED = "audio_not_converted"


def media_prefix(entry: BufferedEntry) -> str:
    """Per message. A digest of the wamid, whose random part no one can guess: a digest of the
    conversation (which holds the customer's number) could be reversed by trying every number."""
    return f"inbound/{short_digest(entry.message_id)}/"


def _describe(entry: BufferedEntry) -> tuple[dict, str, bool]:
    kind = entry.body.get("type", "")
    media = entry.body.get(kind) if isinstance(entry.body.get(kind), dict) else {}
    mime_type = base_mime(media.get("mime_type"))
    is_voice = kind == "audio" and is_voice_note(media)
    return media, mime_type, is_voice


@contextmanager
def prepared(runtime: Runtime, settings: Settings, entry: BufferedEntry,
             rules: AttachmentRules) -> Iterator[MediaUpload | MediaRefusal]:
    """The file made ready for the chat, or why it cannot go. Its bytes count against the
    process's media memory (memory_budget.py) from before they are read until the caller leaves
    the block, after the upload: a file that does not fit waits here for those ahead of it."""
    media, mime_type, is_voice = _describe(entry)
    kind = entry.body.get("type", "file")
    name = (f"voice-note-{entry.timestamp}.wav" if is_voice
            else safe_file_name(media.get("filename"), mime_type, f"{kind}-{entry.timestamp}"))
    stored = _fetch(runtime, entry, media, name, mime_type)
    if isinstance(stored, MediaRefusal):
        yield stored
    elif stored.size > settings.max_media_bytes:  # refused without reading it
        yield MediaRefusal(name, mime_type, stored.size, Reason(
            TOO_LARGE, f"larger than the {human_size(settings.max_media_bytes)} limit"))
    else:
        with memory_budget.media_budget().hold(stored.size):
            data = media_staging.read_media(runtime.clients.s3, stored, settings.max_media_bytes)
            yield (_prepare_voice_note(name, mime_type, data, stored, settings) if is_voice
                   else _checked(name, mime_type, data, rules))


def _fetch(runtime: Runtime, entry: BufferedEntry, media: dict, name: str,
           mime_type: str) -> StoredMedia | MediaRefusal:
    """The file into the media bucket (not into memory)."""
    if not media.get("id"):
        return MediaRefusal(name, mime_type, 0,
                            Reason(MEDIA_ID_MISSING, "WhatsApp did not say where the file is"))
    try:
        return media_staging.fetch_media_to_s3(
            runtime.clients.social, runtime.clients.s3,
            origination_id=entry.business.origination_id, media_id=str(media["id"]),
            bucket=runtime.env.media_bucket, prefix=media_prefix(entry))
    except ClientError as error:
        if not messaging.is_permanent(error):
            raise
        logs.warning("customer_media_unavailable", messageId=entry.message_id,
                     error=error_code(error))
        return MediaRefusal(name, mime_type, 0,
                            Reason(MEDIA_UNAVAILABLE, "WhatsApp could not provide the file"))


def _checked(name: str, mime_type: str, data: bytes,
             rules: AttachmentRules) -> MediaUpload | MediaRefusal:
    refusal = connect_refusal(name, len(data), rules)
    if refusal:
        return MediaRefusal(name, mime_type, len(data), refusal)
    return MediaUpload(name, mime_type, data)


def _prepare_voice_note(name: str, mime_type: str, ogg: bytes, stored: StoredMedia,
                        settings: Settings) -> MediaUpload | MediaRefusal:
    try:
        converted = audio.voice_note_to_wav(ogg, max_seconds=settings.max_voice_note_seconds)
    except audio.AudioTooLong:
        minutes = settings.max_voice_note_seconds / 60
        limit = f"{minutes:g} minutes" if minutes >= 1 else f"{settings.max_voice_note_seconds} seconds"
        return MediaRefusal(name, mime_type, len(ogg), Reason(
            VOICE_NOTE_TOO_LONG, f"longer than the {limit} limit for voice notes"))
    except audio.AudioError as error:
        logs.warning("voice_note_not_converted", reason=str(error))
        return MediaRefusal(name, mime_type, len(ogg),
                            Reason(AUDIO_NOT_CONVERTED, "the audio could not be converted"))
    return MediaUpload(name, converted.mime_type, converted.data, VoiceNote(ogg, stored))


def agent_note(refusal: MediaRefusal) -> str:
    kind = refusal.mime_type or "unknown type"
    size = f", {human_size(refusal.size)}" if refusal.size else ""
    return bridge_note(f"📎 The customer sent {refusal.name} ({kind}{size}), "
                       f"which could not be attached: {refusal.reason.words}.")


def customer_line(refusal: MediaRefusal) -> str:
    return (f"Sorry, your file {refusal.name} could not be passed on to the agent: "
            f"{refusal.reason.words}.")
