"""Real conversions with the vendored ffmpeg (vendor/ffmpeg, built by scripts/build-ffmpeg.sh).

The fixtures come from scripts/make-voice-fixture.sh: voice-note.ogg is 3.00 s of ogg/opus, mono,
48 kHz; agent-clip.wav is 1.50 s of 8 kHz mono 16-bit wav.
"""
from __future__ import annotations

import io
import math
import os
import shutil
import struct
import subprocess
import tempfile
import warnings
import wave
from pathlib import Path

import pytest

from chalicelib import audio
from emulator.voice_notes import ogg_opus_duration, ogg_opus_repeated

with warnings.catch_warnings():  # pydub's import-time warnings, as in chalicelib/audio.py
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
VOICE_NOTE = (FIXTURES / "voice-note.ogg").read_bytes()
AGENT_CLIP = (FIXTURES / "agent-clip.wav").read_bytes()


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where tempfile puts the conversion's working directory during the test."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


# --- voice note → wav ---------------------------------------------------------------------------

def test_voice_note_becomes_16khz_mono_16bit_wav_of_the_same_length(private_tmp: Path) -> None:
    converted = audio.voice_note_to_wav(VOICE_NOTE, max_seconds=60)

    assert converted.mime_type == "audio/wav"
    assert converted.data[:4] == b"RIFF" and converted.data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(converted.data)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, 16000, 2)
        duration = wav.getnframes() / wav.getframerate()
    assert duration == pytest.approx(ogg_opus_duration(VOICE_NOTE), abs=0.1)
    assert converted.duration_seconds == pytest.approx(duration, abs=0.001)
    assert b"Lavf" not in converted.data  # no encoder tag or sender metadata carried over
    assert list(private_tmp.iterdir()) == []


def test_a_note_at_the_limit_passes_and_one_over_it_is_too_long(private_tmp: Path) -> None:
    assert audio.voice_note_to_wav(VOICE_NOTE, max_seconds=3).duration_seconds == pytest.approx(3, abs=0.01)

    with pytest.raises(audio.AudioTooLong):
        audio.voice_note_to_wav(VOICE_NOTE, max_seconds=2.5)
    assert list(private_tmp.iterdir()) == []


def test_a_long_note_is_refused_after_decoding_only_past_the_limit(private_tmp: Path) -> None:
    long_note = ogg_opus_repeated(VOICE_NOTE, seconds=60)

    with pytest.raises(audio.AudioTooLong, match="longer than 10 s"):
        audio.voice_note_to_wav(long_note, max_seconds=10)
    assert list(private_tmp.iterdir()) == []


def flipped(data: bytes, start: int) -> bytes:
    """Bytes flipped in ogg page bodies: the pages are still complete, their checksums wrong."""
    damaged = bytearray(data)
    for index in range(start, len(damaged), 37):
        damaged[index] ^= 0x5A
    return bytes(damaged)


@pytest.mark.parametrize("data", [
    pytest.param(b"", id="empty"),
    pytest.param(b"\0" * 4096, id="zeros"),
    pytest.param(b"OggS", id="header-only"),
    pytest.param(VOICE_NOTE[:100], id="truncated-headers"),
    pytest.param(VOICE_NOTE[:len(VOICE_NOTE) // 2], id="truncated-half"),
    pytest.param(VOICE_NOTE[:-10], id="truncated-tail"),
    pytest.param(flipped(VOICE_NOTE, 200), id="corrupt-pages"),
    pytest.param(AGENT_CLIP, id="wav-not-ogg"),
])
def test_a_broken_voice_note_is_an_audio_error(data: bytes, private_tmp: Path) -> None:
    with pytest.raises(audio.AudioError) as caught:
        audio.voice_note_to_wav(data, max_seconds=60)

    assert not isinstance(caught.value, audio.AudioTooLong)
    assert 0 < len(str(caught.value)) <= 200
    assert str(private_tmp) not in str(caught.value)
    assert list(private_tmp.iterdir()) == []


def test_a_conversion_over_its_timeout_is_an_audio_error_and_leaves_nothing(private_tmp: Path) -> None:
    with pytest.raises(audio.AudioError, match="took longer than"):
        audio.voice_note_to_wav(ogg_opus_repeated(VOICE_NOTE, seconds=60), max_seconds=120,
                                timeout_seconds=0.001)
    assert list(private_tmp.iterdir()) == []


def test_the_working_directory_is_private_while_ffmpeg_runs(private_tmp: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    run = subprocess.run

    def spy(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        source = Path(command[command.index("-i") + 1])
        seen.append(source.parent.stat().st_mode & 0o777)
        return run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    audio.voice_note_to_wav(VOICE_NOTE, max_seconds=60)

    assert seen == [0o700]


def test_a_sixty_second_note_converts_whole(private_tmp: Path) -> None:
    converted = audio.voice_note_to_wav(ogg_opus_repeated(VOICE_NOTE, seconds=60), max_seconds=120)

    assert converted.duration_seconds == pytest.approx(60, abs=0.1)


# --- agent wav → AAC ----------------------------------------------------------------------------

def test_agent_wav_becomes_adts_aac_that_decodes_back_to_the_same_length(
        private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted = audio.to_whatsapp_audio(AGENT_CLIP, "audio/wav")

    assert converted.mime_type == "audio/aac"
    assert converted.data[0] == 0xFF and converted.data[1] & 0xF0 == 0xF0  # ADTS sync word
    assert converted.duration_seconds == pytest.approx(1.5, abs=0.01)
    assert list(private_tmp.iterdir()) == []

    # pydub, through the vendored ffmpeg: AAC adds up to two frames of encoder delay and padding.
    monkeypatch.setattr(AudioSegment, "converter", audio.ffmpeg_path())
    decoded = AudioSegment.from_file(io.BytesIO(converted.data), format="aac", codec="aac")
    assert decoded.duration_seconds == pytest.approx(1.5, abs=0.1)
    assert decoded.rms > 0


def wav_bytes(format_tag: int, bits: int, samples: bytes, rate: int = 16000) -> bytes:
    """A minimal RIFF/WAVE file, also for the sample formats the wave module cannot write."""
    block_align = bits // 8
    fmt = struct.pack("<HHIIHH", format_tag, 1, rate, rate * block_align, block_align, bits)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(samples)) + samples)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def tone(count: int) -> list[float]:
    return [0.5 * math.sin(2 * math.pi * 440 * index / 16000) for index in range(count)]


@pytest.mark.parametrize(("format_tag", "bits", "pack"), [
    pytest.param(1, 8, lambda x: bytes([int(128 + 127 * x)]), id="pcm_u8"),
    pytest.param(1, 16, lambda x: struct.pack("<h", int(32767 * x)), id="pcm_s16le"),
    pytest.param(1, 24, lambda x: struct.pack("<i", int(8388607 * x))[:3], id="pcm_s24le"),
    pytest.param(1, 32, lambda x: struct.pack("<i", int(2147483647 * x)), id="pcm_s32le"),
    pytest.param(3, 32, lambda x: struct.pack("<f", x), id="pcm_f32le"),
    pytest.param(6, 8, lambda x: bytes([0xD5 ^ (int(x * 100) & 0x7F)]), id="pcm_alaw"),
    pytest.param(7, 8, lambda x: bytes([0xFF ^ (int(x * 100) & 0x7F)]), id="pcm_mulaw"),
])
def test_common_wav_sample_formats_convert(format_tag: int, bits: int, pack, private_tmp: Path) -> None:
    data = wav_bytes(format_tag, bits, b"".join(pack(x) for x in tone(16000)))

    converted = audio.to_whatsapp_audio(data, "audio/x-wav")

    assert converted.data[:2] in (b"\xff\xf1", b"\xff\xf9")
    assert converted.duration_seconds == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("mime_type", ["audio/mpeg", "audio/ogg", "audio/aac", "application/pdf", ""])
def test_other_types_are_unsupported(mime_type: str) -> None:
    with pytest.raises(audio.AudioError, match="^unsupported$"):
        audio.to_whatsapp_audio(AGENT_CLIP, mime_type)


def test_wav_mime_type_parameters_and_case_are_ignored() -> None:
    assert audio.to_whatsapp_audio(AGENT_CLIP, "Audio/WAVE; codecs=1").mime_type == "audio/aac"


@pytest.mark.parametrize("data", [
    pytest.param(b"", id="empty"),
    pytest.param(b"RIFF" + b"\0" * 40, id="zeros"),
    pytest.param(AGENT_CLIP[:44], id="header-only"),
    pytest.param(VOICE_NOTE, id="ogg-not-wav"),
])
def test_a_broken_wav_is_an_audio_error(data: bytes, private_tmp: Path) -> None:
    with pytest.raises(audio.AudioError):
        audio.to_whatsapp_audio(data, "audio/wav")
    assert list(private_tmp.iterdir()) == []


# --- the vendored binary ------------------------------------------------------------------------

def test_ffmpeg_is_found_in_the_checkout() -> None:
    assert audio.ffmpeg_path() == str(ROOT / "vendor" / "ffmpeg")


def test_ffmpeg_is_found_at_the_bundle_root_first(tmp_path: Path) -> None:
    # Chalice's bundle: vendor/'s contents at the root, next to chalicelib/.
    shutil.copy2(ROOT / "vendor" / "ffmpeg", tmp_path / "ffmpeg")
    (tmp_path / "vendor").mkdir()
    shutil.copy2(ROOT / "vendor" / "ffmpeg", tmp_path / "vendor" / "ffmpeg")

    assert audio.ffmpeg_path(tmp_path) == str(tmp_path / "ffmpeg")


def test_a_bundled_ffmpeg_without_its_execute_bit_runs_from_a_copy(private_tmp: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copyfile(ROOT / "vendor" / "ffmpeg", bundle / "ffmpeg")
    (bundle / "ffmpeg").chmod(0o444)

    path = audio.ffmpeg_path(bundle)

    assert Path(path).parent == private_tmp and os.access(path, os.X_OK)
    assert subprocess.run([path, "-version"], capture_output=True, check=True).stdout.startswith(b"ffmpeg")
    assert audio.ffmpeg_path(bundle) == path  # made once, then reused


def test_a_missing_ffmpeg_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(audio.AudioError, match="missing"):
        audio.ffmpeg_path(tmp_path)


def test_the_vendored_ffmpeg_is_a_small_static_x86_64_executable() -> None:
    binary = (ROOT / "vendor" / "ffmpeg").read_bytes()

    assert len(binary) < 5 * 1024 * 1024
    assert binary[:4] == b"\x7fELF" and binary[4] == 2  # ELF64
    assert struct.unpack_from("<H", binary, 18)[0] == 62  # EM_X86_64
    phoff, = struct.unpack_from("<Q", binary, 32)
    phentsize, phnum = struct.unpack_from("<HH", binary, 54)
    segment_types = {struct.unpack_from("<I", binary, phoff + index * phentsize)[0] for index in range(phnum)}
    assert 3 not in segment_types  # PT_INTERP: no dynamic loader
    assert 2 not in segment_types  # PT_DYNAMIC: no shared libraries
