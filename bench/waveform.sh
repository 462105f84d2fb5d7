#!/usr/bin/env bash
# What the waveform costs at ingest (issue 26): the peaks of one hour of
# 8 kHz 16-bit audio, mono and stereo, best of 5; then of the same stereo
# hour as MP3 (lame, 32 kbit/s) and Ogg Vorbis (oggenc -q 0), decoded,
# best of 3 (release build; needs lame and oggenc: apt-get install lame
# vorbis-tools). Prints Markdown rows for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
echo "| one hour of audio | file | peaks | rate |"
echo "|---|---|---|---|"
cargo run --release --quiet -p callrec-domain --example peaks_cost
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# An hour of two parties taking turns: a tone with noise, a minute each.
python3 - "$work/hour.wav" <<'PY'
import math, random, struct, sys
rate, seconds = 8000, 3600
random.seed(7)
with open(sys.argv[1], "wb") as f:
    data_len = rate * seconds * 4
    f.write(b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 2, rate, rate * 4, 4, 16) + b"data" + struct.pack("<I", data_len))
    for second in range(seconds):
        caller = (second // 60) % 2 == 0
        frames = bytearray()
        for i in range(rate):
            v = int(12000 * math.sin(2 * math.pi * 220 * i / rate) + random.randint(-3000, 3000))
            frames += struct.pack("<hh", v if caller else 0, 0 if caller else v)
        f.write(frames)
PY
lame --quiet -m s -b 32 "$work/hour.wav" "$work/hour.mp3"
oggenc -Q -q 0 "$work/hour.wav" -o "$work/hour.ogg"
cargo run --release --quiet -p callrec-app --example decoded_peaks_cost -- "$work/hour.mp3" "$work/hour.ogg"
