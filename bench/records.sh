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
# shellcheck source=lib.sh
source bench/lib.sh

peak_kb() { awk '/VmHWM/{print $2}' "/proc/$server/status"; }

sql() {
  if [ "$backend" = postgres ]; then psql "$CALLREC_DATABASE_URL" -Atqc "$1"; else sqlite3 "$CALLREC_DATA_DIR/callrec.db" "$1"; fi
}

rows=()
# Each result is also printed as it comes (stderr), so a run stopped
# part-way keeps what it measured.
row() { rows+=("$1"); echo "RESULT $1" >&2; }
for backend in $BACKENDS; do
  fresh_backend "$backend"
  export CALLREC_LOG=warn
  load_recordings "$backend"

  serve
  cookie=$(sign_in acme.admin)

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
  read -r p50 p99 rps < <(measure "http://127.0.0.1:$PORT/recordings" "$cookie" "$CONNECTIONS")
  row "| $backend | Recordings page, $CONNECTIONS connections, no purge | p50 $p50, p99 $p99 | $rps req/s |"

  sql "UPDATE companies SET retention = '60d' WHERE name = 'Acme Telecom'"
  due=$(sql "SELECT COUNT(*) FROM recordings r JOIN companies c ON c.id = r.company_id WHERE c.name = 'Acme Telecom' AND r.started_at < $(( ($(date +%s) - 60 * 86400) * 1000 ))")
  echo "== $backend: purging $due recordings while the page is loaded" >&2
  start=$(date +%s.%N)
  "$BIN" purge > "$work/purge.txt" &
  purge=$!
  read -r p50 p99 rps < <(measure "http://127.0.0.1:$PORT/recordings" "$cookie" "$CONNECTIONS")
  wait "$purge"
  purge_s=$(echo "$(date +%s.%N) - $start" | bc)
  purged=$(tail -1 "$work/purge.txt" | awk '{print $2}')
  rate=$(echo "$purged / $purge_s" | bc)
  row "| $backend | Recordings page, $CONNECTIONS connections, during the purge | p50 $p50, p99 $p99 | $rps req/s |"
  row "| $backend | purge of $purged recordings (of $due due) in batches of 500, with the page loaded | $(printf '%.1f' "$purge_s") s | $rate recordings/s |"
  stop_serving
done

echo
echo "Records at $RECORDINGS recordings, $(nproc) cores, release build:"
echo
echo "| backend | case | time / latency | result |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
