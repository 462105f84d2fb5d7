#!/usr/bin/env bash
# Download throughput of one large recording on loopback (issue 13): the
# portal's /recordings/{id}/download against Python's http.server serving
# the same file. Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bash bench/download.sh                    # a 190 MB WAV, 5 downloads each
#   MB=50 RUNS=3 bash bench/download.sh
#   CALLREC_BIN=/path/to/other/callrec bash bench/download.sh   # A/B another build
set -euo pipefail
cd "$(dirname "$0")/.."

MB="${MB:-190}"
RUNS="${RUNS:-5}"
PORT="${PORT:-18282}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
if [ -z "${CALLREC_BIN:-}" ]; then
  echo "== building callrec (release)" >&2
  cargo build --release --quiet --bin callrec
  CALLREC_BIN="$CARGO_TARGET_DIR/release/callrec"
fi

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export CALLREC_DATA_DIR="$work/data" CALLREC_DATABASE_URL="" CALLREC_LOG=warn

echo "== a $MB MB WAV, imported for Acme Telecom" >&2
mkdir -p "$work/in"
python3 - "$work/in/big.wav" "$MB" <<'EOF'
import struct, sys
path, mb = sys.argv[1], int(sys.argv[2])
data = bytes(range(256)) * (mb * 1000 * 1000 // 256)
header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(data))
with open(path, "wb") as f:
    f.write(header + data)
EOF
cat > "$work/in/big.json" <<'EOF'
{"started_at": "2026-11-20T09:30:00Z", "direction": "inbound", "from": "+44 20 7946 0123", "to": "2001", "username": "acme.admin"}
EOF
"$CALLREC_BIN" demo --recordings 1 >/dev/null
"$CALLREC_BIN" import --company "Acme Telecom" "$work/in" >/dev/null 2>&1
id=$(python3 - "$work/data/callrec.db" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT id FROM recordings ORDER BY size_bytes DESC LIMIT 1").fetchone()[0])
EOF
)

"$CALLREC_BIN" serve --listen "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
cookie=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" \
    --data-urlencode "username=acme.admin" --data-urlencode "password=Demo-Calls-2026!" \
    "http://127.0.0.1:$PORT/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}')
[ -n "$cookie" ] || { echo "could not sign in" >&2; exit 1; }

( cd "$work/in" && exec python3 -m http.server $((PORT + 1)) --bind 127.0.0.1 >/dev/null 2>&1 ) &
pids+=($!)
sleep 1

# Prints the best and the median MB/s of RUNS downloads of `url` (with
# curl's extra arguments after the cookie).
speed() {
  local url=$1 cookie=${2:-}
  shift 2 || shift $#
  local speeds=()
  for _ in $(seq 1 "$RUNS"); do
    speeds+=("$(curl -fs -o /dev/null -H "Cookie: $cookie" -w '%{speed_download}' "$@" "$url")")
  done
  printf '%s\n' "${speeds[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f %.0f\n", a[NR]/1e6, a[int((NR+1)/2)]/1e6}'
}

# The recording as stored now: sealed with Acme's data key.
read -r portal_best portal_median < <(speed "http://127.0.0.1:$PORT/recordings/$id/download" "$cookie")
# A part: an explicit range (an open-ended one is answered a player's
# window, 1 MiB, at a time).
last=$(( $(stat -c %s "$work/in/big.wav") - 1 ))
read -r part_best part_median < <(speed "http://127.0.0.1:$PORT/recordings/$id/audio" "$cookie" -r "1-$last")
# The same recording stored plain (as before sealing; `callrec migrate`
# seals such files): its file replaced by the recorded bytes.
stored=$(find "$work/data/audio" -type f -size +1M | head -1)
cp "$work/in/big.wav" "$stored"
read -r plain_best plain_median < <(speed "http://127.0.0.1:$PORT/recordings/$id/download" "$cookie")
read -r plain_part_best plain_part_median < <(speed "http://127.0.0.1:$PORT/recordings/$id/audio" "$cookie" -r "1-$last")
read -r python_best python_median < <(speed "http://127.0.0.1:$((PORT + 1))/big.wav" "")
echo
echo "Download of one $MB MB recording on loopback, $RUNS runs, $(nproc) cores (MB/s):"
echo
echo "| server | best | median |"
echo "|---|---|---|"
echo "| callrec /recordings/{id}/download, sealed (each chunk authenticated, hashed as it streams, last piece held until it matches) | $portal_best | $portal_median |"
echo "| callrec /recordings/{id}/audio, sealed, Range bytes=1-(end) (a part: each chunk authenticated) | $part_best | $part_median |"
echo "| callrec /recordings/{id}/download, plain (checked against its SHA-256 first) | $plain_best | $plain_median |"
echo "| callrec /recordings/{id}/audio, plain, Range bytes=1-(end) (a part: not checked) | $plain_part_best | $plain_part_median |"
echo "| python3 -m http.server | $python_best | $python_median |"
