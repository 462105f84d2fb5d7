#!/usr/bin/env bash
# What the waveform costs at ingest (issue 26): the peaks of one hour of
# 8 kHz 16-bit audio, mono and stereo, best of 5 (release build). Prints
# Markdown rows for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
echo "| one hour of audio | file | peaks | rate |"
echo "|---|---|---|---|"
cargo run --release --quiet -p callrec-domain --example peaks_cost
