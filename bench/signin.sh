#!/usr/bin/env bash
# Sign-ins per second against the raw Argon2id verifies per second of this
# machine (the bound), on one node (plain HTTP) and on two nodes behind
# nginx (deploy/nginx.conf, TLS), both on PostgreSQL, with one account for
# every connection (ACCOUNTS=16) and with a single account for all of them
# (ACCOUNTS=1: every attempt queues on the same two throttle rows).
# Prints Markdown for docs/BENCHMARKS.md. Run by hand:
#
#   bash bench/signin.sh
#   DURATION=20s bash bench/signin.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-16}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PASSWORD="Bench-Sign-In-2026!"
# shellcheck source=bench/release.sh
source bench/release.sh

port_a="$(free_port)"; port_b="$(free_port)"; port_lb="$(free_port)"

fresh_database callrec_bench_signin
export CALLREC_DATA_DIR="$work/data"

echo "== $CONNECTIONS accounts" >&2
"$BIN" company add Bench >/dev/null
for n in $(seq "$CONNECTIONS"); do
  printf '%s\n' "$PASSWORD" | "$BIN" user add --company Bench --username "bench.$n" \
    --level company --password-stdin --permanent >/dev/null
done

start_nginx "$work" "$port_lb" "$port_a" "$port_b" off
start_node a "$port_a"
start_node b "$port_b"
lb="https://127.0.0.1:$port_lb"

bound="$(argon2_bound)"

# Each request names the next of ACCOUNTS accounts: with as many accounts
# as connections, no two attempts in flight share an account's window.
cat > "$work/login.lua" <<'LUA'
local accounts = tonumber(os.getenv("ACCOUNTS"))
local n = math.random(accounts)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  n = n % accounts + 1
  return wrk.format(nil, nil, nil, "username=bench." .. n .. "&password=Bench-Sign-In-2026%21")
end
LUA
rate() { ACCOUNTS="$2" sign_in_rate "$1" "$CONNECTIONS"; } # url accounts
ratio() { echo "scale=2; $1 / $bound" | bc; }

echo "== two nodes through nginx: $CONNECTIONS accounts, then 1 ($DURATION each)" >&2
lb_many="$(rate "$lb" "$CONNECTIONS")"
lb_one="$(rate "$lb" 1)"
echo "== node a alone, no nginx: $CONNECTIONS accounts, then 1" >&2
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
direct_many="$(rate "http://127.0.0.1:$port_a" "$CONNECTIONS")"
direct_one="$(rate "http://127.0.0.1:$port_a" 1)"

echo
echo "Sign-ins on PostgreSQL, $CONNECTIONS connections, $DURATION a case, $(nproc) cores shared by everything; bound $bound verifies/s:"
echo
echo "| case | $CONNECTIONS accounts (one per connection) | 1 account |"
echo "|---|---|---|"
echo "| two nodes behind nginx (TLS) | $lb_many/s (**$(ratio "$lb_many")**) | $lb_one/s ($(ratio "$lb_one")) |"
echo "| one node, plain HTTP | $direct_many/s (**$(ratio "$direct_many")**) | $direct_one/s ($(ratio "$direct_one")) |"
