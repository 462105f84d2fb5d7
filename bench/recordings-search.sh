#!/usr/bin/env bash
# Recordings search benchmark: loads 1,000,000 recordings, then measures the
# Recordings page with wrk, 64 connections, on SQLite and on PostgreSQL,
# signed in once per scope (Global, Company, Team and Staff user). Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bash bench/recordings-search.sh                 # both backends
#   BACKENDS=sqlite RECORDINGS=200000 bash bench/recordings-search.sh
#
# PostgreSQL: a database named callrec_bench is dropped and created on the
# server at PG_URL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDINGS="${RECORDINGS:-1000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
# Who signs in, one per scope (the demo's users).
USERS="${USERS:-Global:operator Company:acme.admin Team:acme.lead Staff:acme.agent}"
CONNECTIONS="${CONNECTIONS:-64}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-18181}"
# shellcheck source=lib.sh
source bench/lib.sh

rows=()
for backend in $BACKENDS; do
  fresh_backend "$backend"
  echo "== $backend: loading $RECORDINGS recordings" >&2
  start=$(date +%s.%N)
  "$BIN" demo --recordings "$RECORDINGS" >/dev/null
  load_seconds=$(echo "$(date +%s.%N) - $start" | bc)
  # What autovacuum does soon after a bulk load, done now: statistics, and
  # the visibility map that lets PostgreSQL read the number index alone.
  if [ "$backend" = postgres ]; then
    psql "$CALLREC_DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null
    size=$(psql "$CALLREC_DATABASE_URL" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")
  else
    size="$(du -shc "$CALLREC_DATA_DIR"/callrec.db* | tail -1 | awk '{print $1}')"
  fi

  CALLREC_LOG=warn serve
  base="http://127.0.0.1:$PORT/recordings"
  for who in $USERS; do
    level=${who%%:*}; username=${who#*:}
    cookie=$(sign_in "$username")
    # The cases issue 26 names: the first page, a 4-digit and a 3-digit
    # number, and the same in the Phone number box (either party).
    for case in "first page|$base" "Calling Number, 4 digits (2150)|$base?calling_number=2150" \
                "Calling Number, 3 digits (215)|$base?calling_number=215" \
                "Phone number, 4 digits (2150)|$base?number=2150" \
                "Phone number, 3 digits (215)|$base?number=215" \
                ${EXTRA_CASES:+"number + date filter|$base?calling_number=21&start=$(date -u -d '30 days ago' +%Y-%m-%dT00:00)&end=$(date -u +%Y-%m-%dT23:59)"}; do
      name=${case%%|*}; url=${case#*|}
      echo "== $backend, $level ($username): $name" >&2
      read -r p50 p99 rps < <(measure "$url" "$cookie" "$CONNECTIONS")
      rows+=("| $backend | $level | $name | $p50 | $p99 | $rps |")
    done
  done
  stop_serving
  rows+=("| $backend | | load $RECORDINGS rows (\`callrec demo --recordings\`), database $size | | | ${load_seconds%.*} s |")
done

echo
echo "Recordings page per scope, $CONNECTIONS connections, $DURATION per case, $(nproc) cores:"
echo
echo "| backend | scope | case | p50 | p99 | requests/s |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
