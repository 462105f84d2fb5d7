#!/usr/bin/env bash
# Home dashboard benchmark (issue 16): loads 1,000,000 recordings, then
# measures GET /home with wrk per scope (Global, Company, Team and Staff
# user), at 1 connection (the page's own time) and at 64, on SQLite and on
# PostgreSQL. Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bash bench/dashboard.sh                          # both backends
#   BACKENDS=sqlite RECORDINGS=200000 bash bench/dashboard.sh
#
# PostgreSQL: a database named callrec_bench is dropped and created on the
# server at PG_URL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDINGS="${RECORDINGS:-1000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
USERS="${USERS:-Global:operator Company:acme.admin Team:acme.lead Staff:acme.agent}"
CONNECTIONS="${CONNECTIONS:-1 64}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-18182}"
# shellcheck source=lib.sh
source bench/lib.sh

rows=()
for backend in $BACKENDS; do
  fresh_backend "$backend"
  echo "== $backend: loading $RECORDINGS recordings" >&2
  start=$(date +%s.%N)
  "$BIN" demo --recordings "$RECORDINGS" >/dev/null
  load_seconds=$(echo "$(date +%s.%N) - $start" | bc)
  if [ "$backend" = postgres ]; then
    psql "$CALLREC_DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null
    buckets=$(psql "$CALLREC_DATABASE_URL" -Atc "SELECT COUNT(*) FROM call_counts")
  else
    buckets=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM call_counts').fetchone()[0])" "$CALLREC_DATA_DIR/callrec.db")
  fi

  CALLREC_LOG=warn serve
  for who in $USERS; do
    level=${who%%:*}; username=${who#*:}
    cookie=$(sign_in "$username")
    for connections in $CONNECTIONS; do
      echo "== $backend, $level ($username), $connections connections" >&2
      read -r p50 p99 rps < <(measure "http://127.0.0.1:$PORT/home" "$cookie" "$connections")
      rows+=("| $backend | $level | $connections | $p50 | $p99 | $rps |")
    done
  done
  stop_serving
  rows+=("| $backend | load $RECORDINGS rows in ${load_seconds%.*} s; $buckets quarter-hour buckets | | | | |")
done

echo
echo "Home dashboard per scope, $DURATION per case, $(nproc) cores:"
echo
echo "| backend | scope | connections | p50 | p99 | requests/s |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
