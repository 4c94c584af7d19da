"""Amazon Transcribe for voice notes: the synchronous call, or a job when it lacks a language.

TranscribeAudio when it speaks the configured languages, a transcription job (completed through
EventBridge) when it does not.

Transcribe takes the customer's original ogg/opus; only Connect needs the wav.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

from .digests import short_digest

# TranscribeAudio names languages without a region, except for Chinese.
_SYNC_LANGUAGES = {"en", "es", "fr", "it", "de", "ja", "pt", "ko"}
_SYNC_CHINESE = {"zh-CN", "zh-TW", "zh-HK"}
JOB_PREFIX = "whatsapp-"
_JOB_NAME = re.compile(r"^whatsapp-(?P<contact>[0-9A-Za-z-]{1,64})\.(?P<digest>[0-9a-f]{16})$")
TRANSCRIPTS_PREFIX = "transcripts/"


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str


def sync_languages(languages: Sequence[str]) -> list[str] | None:
    """The configured languages as TranscribeAudio names them, or None when it lacks one of them."""
    mapped: list[str] = []
    for code in languages:
        if code in _SYNC_CHINESE:
            mapped.append(code)
        elif code.split("-", 1)[0] in _SYNC_LANGUAGES:
            mapped.append(code.split("-", 1)[0])
        else:
            return None
    return list(dict.fromkeys(mapped))


def transcribe_now(transcribe: Any, audio: bytes, languages: Sequence[str]) -> Transcript:
    request: dict[str, Any] = {"Media": {"MediaBytes": audio}}
    if len(languages) == 1:
        request["Language"] = languages[0]
    else:
        request["LanguageDetectionMode"] = "IDENTIFY_LANGUAGE"
        request["LanguageOptions"] = list(languages)
    response = transcribe.transcribe_audio(**request)
    result = response.get("TranscriptResponse") or {}
    return Transcript(
        text=((result.get("Results") or {}).get("Transcript") or "").strip(),
        language=(result.get("Metadata") or {}).get("LanguageCode") or "",
    )


def job_name(contact_id: str, message_id: str) -> str:
    """Names the job after the chat it belongs to, so its completion event finds the way back."""
    return f"{JOB_PREFIX}{contact_id}.{short_digest(message_id, 16)}"


def contact_of_job(name: str) -> str | None:
    match = _JOB_NAME.match(name or "")
    return match.group("contact") if match else None


def transcript_key(name: str) -> str:
    return f"{TRANSCRIPTS_PREFIX}{name}.json"


def start_job(transcribe: Any, *, name: str, media_uri: str, languages: Sequence[str],
              output_bucket: str) -> None:
    request: dict[str, Any] = {
        "TranscriptionJobName": name,
        "Media": {"MediaFileUri": media_uri},
        "MediaFormat": "ogg",
        "OutputBucketName": output_bucket,
        "OutputKey": transcript_key(name),
    }
    if len(languages) == 1:
        request["LanguageCode"] = languages[0]
    else:
        request["IdentifyLanguage"] = True
        request["LanguageOptions"] = list(languages)
    transcribe.start_transcription_job(**request)


def parse_transcript_file(document: bytes | str) -> Transcript:
    results = json.loads(document)["results"]
    transcripts = results.get("transcripts") or [{}]
    return Transcript(text=(transcripts[0].get("transcript") or "").strip(),
                      language=results.get("language_code") or "")


def agent_line(transcript: Transcript) -> str:
    if not transcript.text:
        return "🎤 Transcript: the voice note has no speech that Transcribe could recognise."
    language = f" ({transcript.language})" if transcript.language else ""
    return f"🎤 Transcript{language}: {transcript.text}"


def customer_line(transcript: Transcript) -> str:
    return f"🎤 We heard: {transcript.text}"


UNAVAILABLE_LINE = "🎤 The voice note could not be transcribed; please listen to the attached audio."
