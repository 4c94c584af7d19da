"""Media rules of both sides, as pure functions: which file may go where, under which name and type."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# Connect's defaults when an instance's own configuration cannot be read (docs/reference/API.md §4).
CONNECT_DEFAULT_EXTENSIONS = frozenset({
    "csv", "doc", "docx", "heic", "jfif", "jpeg", "jpg", "mov", "mp4", "pdf", "png", "ppt", "pptx",
    "rtf", "txt", "wav", "xls", "xlsx",
})
CONNECT_DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_EXTENSION_BY_MIME = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
    "video/mp4": "mp4", "video/3gpp": "3gp", "video/3gp": "3gp", "video/quicktime": "mov",
    "audio/ogg": "ogg", "audio/aac": "aac", "audio/amr": "amr", "audio/mpeg": "mp3",
    "audio/mp4": "m4a", "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav",
    "application/pdf": "pdf", "text/plain": "txt", "text/csv": "csv", "application/rtf": "rtf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
_MIME_BY_EXTENSION = {ext: mime for mime, ext in _EXTENSION_BY_MIME.items()
                      if mime not in ("video/3gp", "audio/x-wav", "audio/wave")}
_MIME_BY_EXTENSION |= {"jpeg": "image/jpeg", "jfif": "image/jpeg"}

# WhatsApp's media kinds, types and limits (docs/reference/WHATSAPP_PAYLOADS.md §3).
_WHATSAPP_KINDS = {
    "image/jpeg": ("image", 5 * 1024 * 1024), "image/png": ("image", 5 * 1024 * 1024),
    "video/mp4": ("video", 16 * 1024 * 1024), "video/3gpp": ("video", 16 * 1024 * 1024),
    "audio/aac": ("audio", 16 * 1024 * 1024), "audio/amr": ("audio", 16 * 1024 * 1024),
    "audio/mpeg": ("audio", 16 * 1024 * 1024), "audio/mp4": ("audio", 16 * 1024 * 1024),
    "audio/ogg": ("audio", 16 * 1024 * 1024),
    "application/pdf": ("document", 100 * 1024 * 1024),
    "text/plain": ("document", 100 * 1024 * 1024),
}
_WHATSAPP_KINDS |= {mime: ("document", 100 * 1024 * 1024) for mime, ext in _EXTENSION_BY_MIME.items()
                    if ext in ("doc", "docx", "xls", "xlsx", "ppt", "pptx")}
# Same bytes, another label: WhatsApp knows these under a type it accepts.
_WHATSAPP_ALIASES = {"image/jfif": "image/jpeg", "image/pjpeg": "image/jpeg", "text/csv": "text/plain",
                     "video/3gp": "video/3gpp"}
WAV_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave"})
VOICE_NOTE_TYPES = frozenset({"audio/ogg", "audio/opus"})

_UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class Reason:
    """Why a file does not go where it was sent. `code` is one of a fixed few, for logs, which
    carry no text a person chose (a file's name, even its extension); `words` are for the people
    in the chat."""

    code: str
    words: str


# The codes a Reason carries (customer_media.py and failures.py add theirs).
EXTENSION_NOT_ALLOWED = "extension_not_allowed"
TOO_LARGE = "too_large"
EMPTY = "empty"


@dataclass(frozen=True)
class AttachmentRules:
    extensions: frozenset[str]
    max_bytes: int

    @classmethod
    def connect_defaults(cls) -> "AttachmentRules":
        return cls(CONNECT_DEFAULT_EXTENSIONS, CONNECT_DEFAULT_MAX_BYTES)

    @classmethod
    def from_configuration(cls, extensions: Iterable[str], max_bytes: int) -> "AttachmentRules":
        return cls(frozenset(e.lower().lstrip(".") for e in extensions if e), max_bytes)


def base_mime(mime_type: str | None) -> str:
    """`audio/ogg; codecs=opus` → `audio/ogg`."""
    return (mime_type or "").split(";", 1)[0].strip().lower()


def is_voice_note(audio: dict) -> bool:
    """WhatsApp records voice notes as Ogg Opus; its `voice` flag is newer and not always sent."""
    mime_type = audio.get("mime_type")
    return audio.get("voice") is True or base_mime(mime_type if isinstance(mime_type, str) else "") in (
        VOICE_NOTE_TYPES)


def extension_for(mime_type: str) -> str:
    return _EXTENSION_BY_MIME.get(base_mime(mime_type), "bin")


def mime_for_name(name: str, fallback: str = "application/octet-stream") -> str:
    return _MIME_BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower(), fallback) if "." in name else fallback


def safe_file_name(name: str | None, mime_type: str, stem: str) -> str:
    """A name Connect and WhatsApp show as is: no path, no odd characters, the right extension."""
    extension = extension_for(mime_type)
    cleaned = _UNSAFE_NAME_CHARACTERS.sub("_", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = cleaned.strip(" ._")[:200]
    if not cleaned:
        return f"{stem}.{extension}"
    if "." not in cleaned and extension != "bin":
        cleaned = f"{cleaned}.{extension}"
    return cleaned


def connect_refusal(name: str, size: int, rules: AttachmentRules) -> Reason | None:
    """Why Connect would refuse the attachment, or None when it accepts it."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in rules.extensions:
        return Reason(EXTENSION_NOT_ALLOWED,
                      f"Amazon Connect chat does not accept .{extension or '(none)'} files")
    if size > rules.max_bytes:
        return Reason(TOO_LARGE, f"larger than Amazon Connect's {human_size(rules.max_bytes)} limit")
    if size < 1:
        return Reason(EMPTY, "the file is empty")
    return None


@dataclass(frozen=True)
class WhatsAppMedia:
    kind: str  # image | video | audio | document
    mime_type: str


def whatsapp_media(mime_type: str) -> WhatsAppMedia | None:
    """How WhatsApp takes a file of this type, or None when it takes no such file."""
    mime = _WHATSAPP_ALIASES.get(base_mime(mime_type), base_mime(mime_type))
    kind = _WHATSAPP_KINDS.get(mime)
    return WhatsAppMedia(kind[0], mime) if kind else None


def whatsapp_refusal(media: WhatsAppMedia, size: int) -> Reason | None:
    limit = _WHATSAPP_KINDS[media.mime_type][1]
    if size > limit:
        return Reason(TOO_LARGE, f"larger than WhatsApp's {human_size(limit)} limit for {media.kind} files")
    if size < 1:
        return Reason(EMPTY, "the file is empty")
    return None


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
