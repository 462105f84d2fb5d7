#!/usr/bin/env bash
# Meant to be sourced by the benchmarks that run release nodes behind
# nginx (`cluster.sh`, `signin.sh`): installs wrk when missing, sources
# scripts/lib.sh and scripts/nginx-lb.sh, builds the release binary and
# the Argon2id bound, and sets BIN.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
if ! command -v wrk >/dev/null; then
  echo "== installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=scripts/nginx-lb.sh
source scripts/nginx-lb.sh
echo "== building callrec and the Argon2id bound (release)" >&2
cargo build --release --quiet --bin callrec
cargo build --release --quiet -p callrec-app --example argon2_rate
BIN="$CARGO_TARGET_DIR/release/callrec"

# A work folder and the processes started in it, stopped on exit.
work="$(mktemp -d)"
pids=()
cleanup() {
  [ -f "$work/nginx/nginx.pid" ] && kill -TERM "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
chain_exit_trap cleanup

# `fresh_database NAME`: a new PostgreSQL database ($PG_URL/NAME) and the
# settings every node of the run shares: one master key, the proxy
# trusted, quiet JSON logs, and limits raised (a benchmark signs in and
# calls the API as fast as it can).
fresh_database() {
  psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  export CALLREC_DATABASE_URL="$PG_URL/$1"
  CALLREC_SECRET_KEY="$("$BIN" keys generate)"; export CALLREC_SECRET_KEY
  export CALLREC_TRUSTED_PROXIES=127.0.0.1/32 CALLREC_LOG=warn CALLREC_LOG_FORMAT=json
  export CALLREC_SIGNIN_ACCOUNT_LIMIT=100000000 CALLREC_SIGNIN_CLIENT_LIMIT=100000000 CALLREC_API_RATE_LIMIT=100000000
}

# `start_node NAME PORT [AUDIO_STORE]`: a release node, its data in
# $work/NAME, waited for until ready.
start_node() {
  CALLREC_DATA_DIR="$work/$1" CALLREC_AUDIO_STORE="${3:-}" "$BIN" serve --listen "127.0.0.1:$2" >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "node $1 did not start" >&2; cat "$work/$1.log" >&2; exit 1
}

# Raw Argon2id verifies per second on every core, nothing else running.
argon2_bound() {
  echo "== the bound: raw Argon2id verifies/s on $(nproc) threads" >&2
  "$CARGO_TARGET_DIR/release/examples/argon2_rate" "$(nproc)" 10 | awk '{print $1}'
}

# `sign_in_rate URL CONNECTIONS`: sign-ins per second with $work/login.lua
# for $DURATION, counted in the audit log; fails if any was refused.
signed_in() { psql -Atq "$CALLREC_DATABASE_URL" -c "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in.succeeded'"; }
refused() { psql -Atq "$CALLREC_DATABASE_URL" -c "SELECT COUNT(*) FROM audit_log WHERE action IN ('sign_in.failed', 'sign_in.throttled')"; }
sign_in_rate() {
  local before refused_before seconds
  before="$(signed_in)"; refused_before="$(refused)"
  wrk -t2 -c"$2" -d"$DURATION" -s "$work/login.lua" "$1/login" > "$work/wrk-login.txt"
  seconds="$(awk '/requests in/{gsub("s,","",$4); print $4}' "$work/wrk-login.txt")"
  [ "$(refused)" -eq "$refused_before" ] || { echo "sign-ins were refused" >&2; exit 1; }
  echo "scale=1; ($(signed_in) - $before) / $seconds" | bc
}
