#!/usr/bin/env bash
# Call detail report and bulk hold benchmark (issue 17, items 2 and 6) at
# 1,000,000 recordings, per backend:
#  - GET /reports/calls (its default: the last 31 days) per scope, one
#    connection: the report's own time (the review measured 3.4–10.7 s at
#    1,000,000 before);
#  - 16 reports at once from one session while another user's Recordings
#    page is loaded: how many are refused (one at a time per user) and that
#    page's p99 (the review: 3 ms alone, 2.5 s beside them before);
#  - "Place hold on all matching" for Acme Telecom while sign-ins go on:
#    the slowest sign-in beside it and alone (the review: one 2.4 s UPDATE
#    for about 170,000 rows, every sign-in waiting).
# Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bash bench/report.sh                                 # both backends
#   BACKENDS=sqlite RECORDINGS=200000 bash bench/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDINGS="${RECORDINGS:-1000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
USERS="${USERS:-Global:operator Company:acme.admin Team:acme.lead Staff:acme.agent}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-18484}"
# shellcheck source=lib.sh
source bench/lib.sh

rows=()
row() { rows+=("$1"); echo "RESULT $1" >&2; }

# The slowest of `$1` sign-ins one after another, in ms.
slowest_sign_in() {
  local worst=0 took
  for _ in $(seq "$1"); do
    took=$(curl -s -o /dev/null -w '%{time_total}' -H "Origin: http://127.0.0.1:$PORT" \
      --data-urlencode "username=acme.agent" --data-urlencode "password=Demo-Calls-2026!" \
      "http://127.0.0.1:$PORT/login")
    worst=$(echo "if ($took * 1000 > $worst) $took * 1000 else $worst" | bc)
  done
  printf '%.0f' "$worst"
}

for backend in $BACKENDS; do
  fresh_backend "$backend"
  export CALLREC_LOG=warn
  load_recordings "$backend"
  serve

  for who in $USERS; do
    level=${who%%:*}; username=${who#*:}
    cookie=$(sign_in "$username")
    echo "== $backend: report as $level ($username)" >&2
    read -r p50 p99 rps < <(measure "http://127.0.0.1:$PORT/reports/calls" "$cookie" 1)
    row "| $backend | report, $level, 1 connection | $p50 | $p99 | $rps/s |"
  done

  echo "== $backend: 16 reports at once beside another user's Recordings page" >&2
  admin=$(sign_in acme.admin)
  lead=$(sign_in acme.lead)
  : > "$work/codes.txt"
  reports=()
  for _ in $(seq 16); do
    curl -s -o /dev/null -w '%{http_code}\n' -H "Cookie: $admin" "http://127.0.0.1:$PORT/reports/calls" >> "$work/codes.txt" &
    reports+=($!)
  done
  read -r p50 p99 rps < <(measure "http://127.0.0.1:$PORT/recordings" "$lead" 1)
  wait "${reports[@]}"
  refused=$(grep -c '^429$' "$work/codes.txt" || true)
  row "| $backend | 16 reports of one session at once: $refused refused (429); another user's Recordings page beside them | $p50 | $p99 | $rps/s |"

  echo "== $backend: Place hold on all matching (Acme Telecom)" >&2
  alone=$(slowest_sign_in 10)
  start=$(date +%s.%N)
  curl -s -o /dev/null -H "Cookie: $admin" -H "Origin: http://127.0.0.1:$PORT" \
    --data "change=place&reason=Bench" "http://127.0.0.1:$PORT/recordings/holds" &
  hold=$!
  beside=$(slowest_sign_in 20)
  wait "$hold"
  held_s=$(echo "$(date +%s.%N) - $start" | bc)
  if [ "$backend" = postgres ]; then
    held=$(psql "$CALLREC_DATABASE_URL" -Atc "SELECT COUNT(*) FROM recordings WHERE held_at IS NOT NULL")
  else
    held=$(sqlite3 "$CALLREC_DATA_DIR/callrec.db" "SELECT COUNT(*) FROM recordings WHERE held_at IS NOT NULL")
  fi
  row "| $backend | hold on $held recordings in $(printf '%.1f' "$held_s") s; slowest sign-in beside it / alone | ${beside} ms | ${alone} ms | |"
  stop_serving
done

echo
echo "Call detail report and bulk hold, $(nproc) cores, $RECORDINGS recordings:"
echo
echo "| backend | case | p50 | p99 | rate |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
