#!/usr/bin/env bash
# Fuzzes the parsers that face the network with cargo-fuzz (libFuzzer) on
# the nightly toolchain: audio headers, ingest metadata, Range headers,
# forms, packed pages, typed text fields, forwarding headers, FreePBX
# file names, waveforms of any upload (MP3/Ogg decoded), and the SIPREC
# server's SIP messages, SDP offers, XML metadata, RTP timeline and SRTP. Run by hand
# (not in CI); results go in docs/SECURITY.md.
#
#   bash scripts/fuzz.sh            # every target, 180 s each
#   bash scripts/fuzz.sh 600 range  # one target, 10 minutes
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-180}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(audio metadata range form packed text_fields forwarded freepbx_name waveform sip_message sdp_offer siprec_metadata rtp_timeline)
fi
if ! rustup toolchain list | grep -q nightly; then
  echo "== installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_FUZZ:-$PWD/target}"
for target in "${targets[@]}"; do
  echo "== fuzzing $target for $seconds s"
  mkdir -p "corpus/$target"
  log="$(mktemp)"
  if cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    result="no crash"
  else
    result="FAILED (see fuzz/artifacts/$target)"
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "$target: $runs executions in $seconds s, $result, corpus $(ls "corpus/$target" | wc -l) inputs"
  [ "$result" = "no crash" ] || { tail -40 "$log"; exit 1; }
done
