#!/usr/bin/env bash
# Records benchmarks (issue 13) at 1,000,000 recordings, per backend:
#  - Download all matching as a ZIP of 1,000 recordings: time and the
#    server's peak memory (VmHWM) before and after;
#  - the purge job: Acme Telecom's retention set to 60 days, so about one
#    third of its 90 days of demo calls is due; `callrec purge` timed
#    (recordings/s) while wrk loads the Recordings page, whose p99 is
#    compared with the same load without the purge.
# Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bash bench/records.sh                                # both backends
#   BACKENDS=sqlite RECORDINGS=200000 bash bench/records.sh
#
# PostgreSQL: a database named callrec_bench is dropped and created on the
# server at PG_URL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDINGS="${RECORDINGS:-1000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
CONNECTIONS="${CONNECTIONS:-8}"
DURATION="${DURATION:-15s}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-18383}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
if ! command -v wrk >/dev/null; then
  echo "== installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
echo "== building callrec (release)" >&2
cargo build --release --quiet --bin callrec
BIN="$CARGO_TARGET_DIR/release/callrec"

work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# wrk on the Recordings page for DURATION; prints "p50 p99 req/s".
measure() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $cookie" "http://127.0.0.1:$PORT/recordings" > "$work/wrk.txt"
  if grep -q "Non-2xx" "$work/wrk.txt"; then
    echo "wrk saw errors:" >&2; cat "$work/wrk.txt" >&2; exit 1
  fi
  echo "$(awk '$1=="50%"{print $2}' "$work/wrk.txt") $(awk '$1=="99%"{print $2}' "$work/wrk.txt") $(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")"
}

peak_kb() { awk '/VmHWM/{print $2}' "/proc/$server/status"; }

sql() {
  if [ "$backend" = postgres ]; then psql "$CALLREC_DATABASE_URL" -Atqc "$1"; else sqlite3 "$CALLREC_DATA_DIR/callrec.db" "$1"; fi
}

rows=()
# Each result is also printed as it comes (stderr), so a run stopped
# part-way keeps what it measured.
row() { rows+=("$1"); echo "RESULT $1" >&2; }
for backend in $BACKENDS; do
  data="$work/$backend"
  mkdir -p "$data"
  export CALLREC_DATA_DIR="$data" CALLREC_LOG=warn
  if [ "$backend" = postgres ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS callrec_bench" -c "CREATE DATABASE callrec_bench" >/dev/null
    export CALLREC_DATABASE_URL="$PG_URL/callrec_bench"
  else
    export CALLREC_DATABASE_URL=""
  fi
  echo "== $backend: loading $RECORDINGS recordings" >&2
  "$BIN" demo --recordings "$RECORDINGS" >/dev/null
  [ "$backend" = postgres ] && psql "$CALLREC_DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null

  "$BIN" serve --listen "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  cookie=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" \
      --data-urlencode "username=acme.admin" --data-urlencode "password=Demo-Calls-2026!" \
      "http://127.0.0.1:$PORT/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}')
  [ -n "$cookie" ] || { echo "could not sign in" >&2; exit 1; }

  echo "== $backend: ZIP of 1,000 recordings" >&2
  curl -s -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$PORT/recordings" # warm
  sql "SELECT 'id=' || r.id FROM recordings r JOIN companies c ON c.id = r.company_id WHERE c.name = 'Acme Telecom' ORDER BY r.started_at DESC LIMIT 1000" | paste -sd'&' > "$work/ids.txt"
  before=$(peak_kb)
  start=$(date +%s.%N)
  curl -fs -H "Cookie: $cookie" -H "Origin: http://127.0.0.1:$PORT" \
      --data "@$work/ids.txt" -o "$work/all.zip" "http://127.0.0.1:$PORT/recordings/download"
  zip_s=$(echo "$(date +%s.%N) - $start" | bc)
  after=$(peak_kb)
  files=$(unzip -l "$work/all.zip" | tail -1 | awk '{print $2}')
  zip_mb=$(du -m "$work/all.zip" | cut -f1)
  row "| $backend | ZIP of $files files (1,000 recordings + manifest), $zip_mb MB | $(printf '%.2f' "$zip_s") s | server peak RSS $((before / 1024)) → $((after / 1024)) MB |"

  echo "== $backend: Recordings page without the purge" >&2
  read -r p50 p99 rps < <(measure)
  row "| $backend | Recordings page, $CONNECTIONS connections, no purge | p50 $p50, p99 $p99 | $rps req/s |"

  sql "UPDATE companies SET retention = '60d' WHERE name = 'Acme Telecom'"
  due=$(sql "SELECT COUNT(*) FROM recordings r JOIN companies c ON c.id = r.company_id WHERE c.name = 'Acme Telecom' AND r.started_at < $(( ($(date +%s) - 60 * 86400) * 1000 ))")
  echo "== $backend: purging $due recordings while the page is loaded" >&2
  start=$(date +%s.%N)
  "$BIN" purge > "$work/purge.txt" &
  purge=$!
  read -r p50 p99 rps < <(measure)
  wait "$purge"
  purge_s=$(echo "$(date +%s.%N) - $start" | bc)
  purged=$(tail -1 "$work/purge.txt" | awk '{print $2}')
  rate=$(echo "$purged / $purge_s" | bc)
  row "| $backend | Recordings page, $CONNECTIONS connections, during the purge | p50 $p50, p99 $p99 | $rps req/s |"
  row "| $backend | purge of $purged recordings (of $due due) in batches of 500, with the page loaded | $(printf '%.1f' "$purge_s") s | $rate recordings/s |"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
done

echo
echo "Records at $RECORDINGS recordings, $(nproc) cores, release build:"
echo
echo "| backend | case | time / latency | result |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
