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

# Runs wrk against one URL; prints "p50 p99 req/s".
measure() {
  local url=$1 cookie=$2
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $cookie" "$url" > "$work/wrk.txt"
  if grep -q "Non-2xx" "$work/wrk.txt"; then
    echo "wrk saw errors:" >&2; cat "$work/wrk.txt" >&2; exit 1
  fi
  local p50 p99 rps
  p50=$(awk '$1=="50%"{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.txt")
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  echo "$p50 $p99 $rps"
}

rows=()
for backend in $BACKENDS; do
  data="$work/$backend"
  mkdir -p "$data"
  export CALLREC_DATA_DIR="$data"
  if [ "$backend" = postgres ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS callrec_bench" -c "CREATE DATABASE callrec_bench" >/dev/null
    export CALLREC_DATABASE_URL="$PG_URL/callrec_bench"
  else
    export CALLREC_DATABASE_URL=""
  fi
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
    size="$(du -shc "$data"/callrec.db* | tail -1 | awk '{print $1}')"
  fi

  CALLREC_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  base="http://127.0.0.1:$PORT/recordings"
  for who in $USERS; do
    level=${who%%:*}; username=${who#*:}
    cookie=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" \
        --data-urlencode "username=$username" --data-urlencode "password=Demo-Calls-2026!" \
        "http://127.0.0.1:$PORT/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}')
    [ -n "$cookie" ] || { echo "could not sign in as $username" >&2; exit 1; }
    for case in "first page|$base" "number filter (extension 2150)|$base?calling_number=2150" \
                "number filter (4 digits of a number, rare)|$base?called_number=7946" \
                "number filter (6 digits of a number)|$base?called_number=447946" \
                "number filter (3 digits)|$base?calling_number=215" \
                "number + date filter|$base?calling_number=21&start=$(date -u -d '30 days ago' +%Y-%m-%dT00:00)&end=$(date -u +%Y-%m-%dT23:59)"; do
      name=${case%%|*}; url=${case#*|}
      echo "== $backend, $level ($username): $name" >&2
      read -r p50 p99 rps < <(measure "$url" "$cookie")
      rows+=("| $backend | $level | $name | $p50 | $p99 | $rps |")
    done
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  rows+=("| $backend | | load $RECORDINGS rows (\`callrec demo --recordings\`), database $size | | | ${load_seconds%.*} s |")
done

echo
echo "Recordings page per scope, $CONNECTIONS connections, $DURATION per case, $(nproc) cores:"
echo
echo "| backend | scope | case | p50 | p99 | requests/s |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
