"""Audio conversions between WhatsApp and Amazon Connect, with the vendored static ffmpeg.

Connect refuses ogg/opus, so a customer's voice note becomes a 16 kHz mono 16-bit wav (also what
Transcribe wants); WhatsApp refuses wav, so an agent's wav clip becomes AAC in ADTS. ffmpeg runs
under a timeout on files in a private temporary directory; pydub reads and checks what it wrote
(pydub's own ffmpeg calls cannot be given a timeout, and would need ffprobe, which is not vendored).
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .media import WAV_TYPES, base_mime

if TYPE_CHECKING:
    from pydub import AudioSegment

VOICE_SAMPLE_RATE = 16000
# AAC-LC at 44.1 kHz is the profile every phone decodes, whatever the wav's own rate; mono at
# 64 kb/s is ample for speech and keeps a 20 MB Connect attachment far below WhatsApp's 16 MB.
AAC_ARGS = ["-ac", "1", "-ar", "44100", "-c:a", "aac", "-b:a", "64k", "-f", "adts"]
# The duration of the AAC comes from a tiny wav of the same decode: ADTS carries no duration.
MEASURE_ARGS = ["-ac", "1", "-ar", "8000", "-c:a", "pcm_s16le", "-f", "wav"]
# The first audio stream only, and no tags from the sender's file nor encoder string passed on.
OUTPUT_ARGS = ["-map", "0:a:0", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
OGG_EOS_FLAG = 0x04


class AudioError(Exception):
    """The audio could not be converted; the message is a short reason, safe to log."""


class AudioTooLong(AudioError):
    """The voice note is longer than the configured limit."""


@dataclass(frozen=True)
class ConvertedAudio:
    data: bytes
    duration_seconds: float
    mime_type: str


def ffmpeg_path(root: Path | None = None) -> str:
    """The vendored ffmpeg. Chalice puts vendor/'s contents at the bundle root (/var/task/ffmpeg in
    Lambda); a checkout has it in vendor/. `root` is the bundle root or checkout to look in."""
    root = root or Path(__file__).resolve().parents[1]
    for candidate in (root / "ffmpeg", root / "vendor" / "ffmpeg"):
        if candidate.is_file():
            return str(candidate if os.access(candidate, os.X_OK) else _executable_copy(candidate))
    raise AudioError("the vendored ffmpeg is missing")


def voice_note_to_wav(ogg: bytes, *, max_seconds: float, timeout_seconds: float = 20) -> ConvertedAudio:
    """A WhatsApp voice note (ogg/opus or ogg/vorbis) as 16 kHz mono 16-bit PCM wav."""
    _check_complete_ogg(ogg)
    # Decoding stops just past the limit, so an over-long note costs no more than one at the limit,
    # and the length is measured on the decoded audio rather than taken from the container.
    args = ["-t", f"{max_seconds + 1:g}", "-ac", "1", "-ar", str(VOICE_SAMPLE_RATE), "-c:a", "pcm_s16le",
            "-f", "wav"]
    wav, = _ffmpeg(ogg, "ogg", [args], timeout_seconds)
    segment = _read_wav(wav)
    if segment.duration_seconds > max_seconds:
        raise AudioTooLong(f"longer than {max_seconds:g} s")
    if (segment.channels, segment.frame_rate, segment.sample_width) != (1, VOICE_SAMPLE_RATE, 2):
        raise AudioError("unexpected wav format from ffmpeg")
    return ConvertedAudio(wav, segment.duration_seconds, "audio/wav")


def to_whatsapp_audio(data: bytes, mime_type: str, *, timeout_seconds: float = 20) -> ConvertedAudio:
    """An agent's audio attachment in a form WhatsApp accepts: wav becomes AAC in ADTS."""
    if base_mime(mime_type) not in WAV_TYPES:
        raise AudioError("unsupported")
    if not data:
        raise AudioError("empty")
    aac, measure = _ffmpeg(data, "wav", [AAC_ARGS, MEASURE_ARGS], timeout_seconds)
    if not aac:
        raise AudioError("no audio")
    return ConvertedAudio(aac, _read_wav(measure).duration_seconds, "audio/aac")


def _check_complete_ogg(ogg: bytes) -> None:
    """Walks the ogg pages, so a note cut short in transfer is refused instead of passed on half:
    ffmpeg decodes a truncated ogg stream without complaint."""
    if not ogg:
        raise AudioError("empty")
    position, flags = 0, 0
    while position < len(ogg):
        header = ogg[position:position + 27]
        if len(header) < 27 or header[:4] != b"OggS":
            raise AudioError("not an ogg stream" if position == 0 else "truncated or corrupt ogg")
        segments = header[26]
        lacing = ogg[position + 27:position + 27 + segments]
        flags = header[5]
        position += 27 + segments + sum(lacing)
    if position != len(ogg) or not flags & OGG_EOS_FLAG:
        raise AudioError("truncated ogg")


def _ffmpeg(data: bytes, input_format: str, outputs: list[list[str]], timeout_seconds: float) -> list[bytes]:
    """Runs ffmpeg on `data` with one output per argument list and returns the outputs' bytes."""
    binary = ffmpeg_path()
    # mkdtemp makes the directory 0700, so no other local user can read the audio.
    with tempfile.TemporaryDirectory(prefix="audio-") as work:
        source = Path(work) / f"in.{input_format}"
        source.write_bytes(data)
        targets = [Path(work) / f"out{index}" for index in range(len(outputs))]
        command = [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-f", input_format,
                   "-i", str(source)]
        for args, target in zip(outputs, targets, strict=True):
            command += [*OUTPUT_ARGS, *args, str(target)]
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout_seconds, check=False)
        except subprocess.TimeoutExpired:
            raise AudioError(f"ffmpeg took longer than {timeout_seconds:g} s") from None
        if result.returncode != 0:
            raise AudioError(_reason(result.stderr, work))
        return [target.read_bytes() for target in targets]


def _read_wav(wav: bytes) -> AudioSegment:
    # pydub is imported on first use, not with the module: its import searches PATH for ffmpeg,
    # which costs every cold start, and most invocations convert no audio.
    with warnings.catch_warnings():
        # pydub warns at import when no ffmpeg is on PATH (this module never lets it look there),
        # Python 3.11 flags its audioop import as deprecated, and 3.12 its regex escapes.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError
    try:
        segment = AudioSegment(data=wav)
    except (CouldntDecodeError, ValueError, struct.error) as error:
        raise AudioError(f"unreadable wav from ffmpeg: {error}") from None
    if segment.frame_count() == 0:
        raise AudioError("no audio")
    return segment


def _reason(stderr: bytes, work: str) -> str:
    """ffmpeg's last error line, without the temporary paths, short enough for a log line."""
    lines = stderr.decode("utf-8", "replace").replace(f"{work}/", "").strip().splitlines()
    return f"ffmpeg: {lines[-1][:160]}" if lines else "ffmpeg failed"


def _executable_copy(binary: Path) -> Path:
    # A bundle unpacked without its execute bit cannot be chmod-ed in read-only /var/task, so a
    # copy in /tmp is run instead, made once per container.
    copy = Path(tempfile.gettempdir()) / "vendored-ffmpeg"
    if not (copy.is_file() and os.access(copy, os.X_OK) and copy.stat().st_size == binary.stat().st_size):
        partial = copy.with_name(f"{copy.name}.{os.getpid()}")
        shutil.copyfile(binary, partial)
        partial.chmod(0o700)
        os.replace(partial, copy)
    return copy
