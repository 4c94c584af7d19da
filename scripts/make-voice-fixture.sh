#!/usr/bin/env bash
# Makes the audio fixtures the tests convert:
#   tests/fixtures/voice-note.ogg  3.00 s of speech, ogg/opus, mono, 48 kHz, 16 kb/s (as WhatsApp sends)
#   tests/fixtures/agent-clip.wav  1.50 s of speech, wav, mono, 8 kHz, 16-bit PCM (as an agent uploads)
# Uses the Debian packages espeak-ng (speech), sox (resample, pad/trim to an exact length) and
# opus-tools (opusenc); installs them with apt-get if they are missing (run as root then).
# The outputs are deterministic: fixed opus stream serial, no dither.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/tests/fixtures"

if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null || ! command -v opusenc >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends espeak-ng sox opus-tools >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

espeak-ng -v en-us -s 170 -w "$work/voice.wav" \
    "Hello, where is my order, please?"
espeak-ng -v en-us -s 190 -w "$work/agent.wav" "One moment, please."

# Pad with silence, then trim, so each fixture has an exact, known length.
sox -V1 -D "$work/voice.wav" -r 48000 -c 1 -b 16 "$work/voice-48k.wav" pad 0 5 trim 0 3
sox -V1 -D "$work/agent.wav" -r 8000 -c 1 -b 16 "$work/agent-8k.wav" pad 0 5 trim 0 1.5

mkdir -p "$out"
opusenc --quiet --serial 1 --bitrate 16 --comp 10 "$work/voice-48k.wav" "$out/voice-note.ogg"
cp "$work/agent-8k.wav" "$out/agent-clip.wav"

ls -l "$out/voice-note.ogg" "$out/agent-clip.wav"
