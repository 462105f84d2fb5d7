#!/usr/bin/env bash
# The SIPREC recording server under load (issue 27), by hand: concurrent
# two-party G.711 calls from the load generator (crates/callrec-capture/
# examples/capture_load.rs) on the same two cores, each held for SECONDS
# with 50 packets a second on each of its two streams. For each number of
# calls: packets lost, the server's CPU per call, every call's file.
# Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bash bench/capture.sh                   # 100, 300, 500, 700 calls, 30 s each
#   CALLS="500" SECONDS_HELD=60 bash bench/capture.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CALLS="${CALLS:-100 300 500 700}"
SECONDS_HELD="${SECONDS_HELD:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
echo "== building callrec and the load generator (release)" >&2
cargo build --release --quiet --bin callrec
cargo build --release --quiet -p callrec-capture --example capture_load
BIN="$CARGO_TARGET_DIR/release/callrec"
LOAD="$CARGO_TARGET_DIR/release/examples/capture_load"
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }

work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ticks_per_second=$(getconf CLK_TCK)
cpu_seconds() { awk -v hz="$ticks_per_second" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

echo "| calls | streams | packets sent | received | lost | server CPU | CPU per call | files complete |"
echo "|---|---|---|---|---|---|---|---|"
for calls in $CALLS; do
  rm -rf "$work/data" && mkdir -p "$work/data"
  export CALLREC_DATA_DIR="$work/data" CALLREC_DATABASE_URL="" CALLREC_LOG="warn,callrec_capture=info"
  "$BIN" company add Acme >/dev/null 2>&1
  "$BIN" capture add-source --company Acme --address 127.0.0.1 >/dev/null 2>&1
  CALLREC_LISTEN=127.0.0.1:18383 CALLREC_SIPREC_LISTEN=127.0.0.1:15060 CALLREC_RTP_PORTS=40000-44999 \
    CALLREC_CAPTURE_MAX_CALLS=1200 CALLREC_CAPTURE_INVITES_PER_SECOND=1000 \
    "$BIN" serve >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -q "Recording server" "$work/serve.log" && break; sleep 0.1; done
  before=$(cpu_seconds "$server")
  result=$("$LOAD" 127.0.0.1:15060 "$calls" "$SECONDS_HELD")
  for _ in $(seq 600); do
    [ "$(grep -c "captured call" "$work/serve.log")" -ge "$(echo "$result" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"])')" ] && break
    sleep 0.1
  done
  after=$(cpu_seconds "$server")
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  received=$(grep -o '[0-9]* packets (' "$work/serve.log" | grep -o '^[0-9]*' | paste -sd+ | bc)
  durations=$(sqlite3 "$work/data/callrec.db" "SELECT duration_ms FROM recordings" | sort -n)
  python3 - "$calls" "$result" "${received:-0}" "$before" "$after" "$SECONDS_HELD" "$durations" <<'EOF'
import json, sys
calls, result, received = int(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
cpu = float(sys.argv[5]) - float(sys.argv[4])
held = float(sys.argv[6])
durations = [int(d) for d in sys.argv[7].split()]
sent = result["packets_sent"]
lost = 1 - received / sent if sent else 1
complete = sum(1 for d in durations if d >= (result["held_seconds"] - 1.5) * 1000)
print(f"| {result['calls']} of {calls} | {2 * result['calls']} | {sent:,} | {received:,} | {lost:.3%} | "
      f"{cpu:.1f} s ({cpu / (result['held_seconds'] + 5):.0%} of a core) | {cpu / max(result['calls'], 1) / held * 1000:.1f} ms per call-second | "
      f"{complete} of {len(durations)} |")
EOF
done
