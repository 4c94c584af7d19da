"""Ogg/Opus voice notes: the repository's sample note, and longer ones paged from its packets.

The tests and the benchmark hand these notes to the converter and to the twin's WhatsApp media.
`ogg_opus_repeated` makes a note of any length as one valid logical stream (not a chain of copies),
so the converter meets a long note as a real one; `ogg_opus_duration` reads a note's length from its
last granule position.
"""
from __future__ import annotations

import struct

from emulator.reference_events import repository_file

OPUS_RATE = 48000  # Opus granule positions count 48 kHz samples, whatever the input rate
SAMPLE_VOICE_NOTE = "tests/fixtures/voice-note.ogg"  # 3.00 s, mono (scripts/make-voice-fixture.sh)


def sample_voice_note() -> bytes:
    return repository_file(SAMPLE_VOICE_NOTE).read_bytes()


def ogg_pages(data: bytes) -> list[tuple[int, int, list[int], bytes]]:
    """(flags, granule position, lacing values, body) of each page."""
    pages, position = [], 0
    while position < len(data):
        flags, granule = data[position + 5], struct.unpack_from("<q", data, position + 6)[0]
        count = data[position + 26]
        lacing = list(data[position + 27:position + 27 + count])
        start = position + 27 + count
        pages.append((flags, granule, lacing, data[start:start + sum(lacing)]))
        position = start + sum(lacing)
    return pages


def ogg_packets(data: bytes) -> list[bytes]:
    packets, partial = [], b""
    for _, _, lacing, body in ogg_pages(data):
        offset = 0
        for size in lacing:
            partial += body[offset:offset + size]
            offset += size
            if size < 255:
                packets.append(partial)
                partial = b""
    return packets


def ogg_opus_duration(data: bytes) -> float:
    pre_skip = struct.unpack_from("<H", ogg_packets(data)[0], 10)[0]
    return (ogg_pages(data)[-1][1] - pre_skip) / OPUS_RATE


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


CRC_TABLE = _crc_table()


def ogg_page(flags: int, granule: int, sequence: int, packets: list[bytes]) -> bytes:
    lacing = b"".join(bytes([255] * (len(packet) // 255) + [len(packet) % 255]) for packet in packets)
    header = (b"OggS\0" + bytes([flags]) + struct.pack("<qII", granule, 1, sequence) + b"\0\0\0\0"
              + bytes([len(lacing)]) + lacing)
    page = bytearray(header + b"".join(packets))
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ CRC_TABLE[(crc >> 24) ^ byte]
    page[22:26] = struct.pack("<I", crc)
    return bytes(page)


def ogg_opus_repeated(note: bytes, seconds: int) -> bytes:
    """One logical ogg/opus stream of `seconds` made of the note's 20 ms packets, over and over,
    paged as opusenc does (a valid single-stream note, not a chain of copies)."""
    head, tags, *frames = ogg_packets(note)
    pre_skip = struct.unpack_from("<H", head, 10)[0]
    frame_samples = OPUS_RATE // 50
    count = seconds * 50
    stream = [ogg_page(0x02, 0, 0, [head]), ogg_page(0x00, 0, 1, [tags])]
    for sequence, first in enumerate(range(0, count, 50), start=2):
        page_frames = [frames[index % len(frames)] for index in range(first, min(first + 50, count))]
        last = first + len(page_frames) >= count
        granule = pre_skip + (first + len(page_frames)) * frame_samples
        stream.append(ogg_page(0x04 if last else 0x00, granule, sequence, page_frames))
    return b"".join(stream)
