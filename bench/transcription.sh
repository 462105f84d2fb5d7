#!/usr/bin/env bash
# Transcription throughput (issue 28): seconds of call audio heard per
# second of work, through the whole path — calls sent to the API, queued,
# claimed by `callrec serve`'s workers, each channel sent to the real
# speech engine (faster-whisper, Whisper tiny.en, int8 on this machine's
# CPU: scripts/asr-server.sh), sealed and indexed. CALLS calls (default 8)
# of two parties speaking espeak-ng sentences, SECONDS long (default 60),
# with CALLREC_TRANSCRIBE_CONCURRENCY of 1 and 2. Prints Markdown rows for
# docs/BENCHMARKS.md from the node's own metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS="${CALLS:-8}"
SECONDS_LONG="${SECONDS_LONG:-60}"
PORT="${PORT:-18091}"
METRICS_PORT="${METRICS_PORT:-18092}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
# shellcheck source=../scripts/asr-server.sh
source scripts/asr-server.sh
echo "== building callrec (release)" >&2
cargo build --release --quiet --bin callrec
BIN="$CARGO_TARGET_DIR/release/callrec"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# One call: each party says sentences in turn until SECONDS_LONG, 8 kHz stereo.
make_call() {
  local out="$1" n="$2" parts=() t=0 i=0
  while [ "$t" -lt "$SECONDS_LONG" ]; do
    local said="$work/said-$n-$i.wav" chan="$work/chan-$n-$i.wav"
    espeak-ng -w "$said" "Call $n. Sentence $i. I would like to talk about my order number $((n * 100 + i)) and the refund for it."
    if [ $((i % 2)) -eq 0 ]; then remix="1 0"; else remix="0 1"; fi
    sox "$said" -r 8000 -b 16 -c 1 "$chan.mono.wav"
    sox "$chan.mono.wav" -c 2 "$chan" remix $remix
    parts+=("$chan")
    t=$(python3 -c "import sys,wave; print(int(sum(wave.open(p).getnframes() for p in sys.argv[1:]) / 8000))" "${parts[@]}")
    i=$((i + 1))
  done
  sox "${parts[@]}" "$out" trim 0 "$SECONDS_LONG"
}
echo "== making $CALLS calls of $SECONDS_LONG s" >&2
for n in $(seq 1 "$CALLS"); do make_call "$work/call-$n.wav" "$n"; done

echo "| calls × length | CALLREC_TRANSCRIBE_CONCURRENCY | wall time | audio heard | audio s per s |"
echo "|---|---|---|---|---|"
for concurrency in 1 2; do
  data="$work/data-$concurrency"
  mkdir -p "$data"
  export CALLREC_DATA_DIR="$data" CALLREC_DATABASE_URL="" CALLREC_LOG=warn
  "$BIN" company add "Bench" >/dev/null
  "$BIN" company set --company "Bench" --transcription on >/dev/null
  token=$("$BIN" token create --company "Bench" --name "bench" --scope ingest | grep '^crt_')
  CALLREC_TRANSCRIBE_URL="$CALLREC_TEST_TRANSCRIBE_URL" CALLREC_TRANSCRIBE_CONCURRENCY="$concurrency" \
    "$BIN" serve --listen "127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$METRICS_PORT" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  start=$(date +%s.%N)
  for n in $(seq 1 "$CALLS"); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $token" \
      -F "metadata={\"started_at\":\"2026-12-01T09:$(printf %02d "$n"):00Z\",\"direction\":\"inbound\",\"from\":\"+447700900$(printf %03d "$n")\",\"to\":\"2001\"};type=application/json" \
      -F "audio=@$work/call-$n.wav" "http://127.0.0.1:$PORT/api/v1/recordings"
  done
  metric() { curl -fs "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v name="$1" '$1 == name {print $2}'; }
  while :; do
    queued=$(metric callrec_transcription_queue_length)
    [ "${queued:-1}" = 0 ] && break
    sleep 0.5
  done
  end=$(date +%s.%N)
  heard=$(metric callrec_transcribed_audio_seconds_total)
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  python3 - "$CALLS" "$SECONDS_LONG" "$concurrency" "$start" "$end" "$heard" <<'PY'
import sys
calls, seconds, concurrency, start, end, heard = sys.argv[1:]
wall = float(end) - float(start)
print(f"| {calls} × {seconds} s (stereo) | {concurrency} | {wall:.1f} s | {float(heard):.0f} s | {float(heard) / wall:.1f} |")
PY
done
