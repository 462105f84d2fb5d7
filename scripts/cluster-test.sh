#!/usr/bin/env bash
# Two callrec nodes on one PostgreSQL database and one S3 bucket, behind
# Debian's nginx (deploy/nginx.conf, with TLS) as a load balancer, driven
# by scripts/cluster_test.py: MFA sign-in across nodes, a policy change
# seen at once, the MFA attempt limit exact across both, uploads spread
# over both, one node killed with SIGKILL mid-upload, no secret in any log;
# then a node with another master key is refused and SIGTERM stops a node
# with exit code 0.
# Needs CALLREC_BIN; uses CALLREC_TEST_POSTGRES_URL's server and the S3
# server of scripts/s3-server.sh (started here when not yet running).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CALLREC_BIN:?set CALLREC_BIN to the built callrec binary}"
pg_server="${CALLREC_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_server="${pg_server%/*}"

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=scripts/nginx-lb.sh
source scripts/nginx-lb.sh
if [ -z "${CALLREC_TEST_S3_ENDPOINT:-}" ]; then
  # shellcheck source=scripts/s3-server.sh
  source scripts/s3-server.sh
fi

work="$(mktemp -d)"
db="callrec_cluster_$$"
pids=()
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "== cluster test failed ($status); the last lines of each log:"
    for log in "$work"/*.log "$work"/*.out; do [ -f "$log" ] && { echo "-- $log"; tail -n 5 "$log"; }; done
  fi
  # nginx's master stops its workers on TERM; the nodes are killed.
  [ -f "$work/nginx/nginx.pid" ] && kill -TERM "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$pg_server/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
chain_exit_trap cleanup
psql -q "$pg_server/postgres" -c "CREATE DATABASE $db"

port_a="$(free_port)"; port_b="$(free_port)"; port_lb="$(free_port)"
metrics_a="$(free_port)"; metrics_b="$(free_port)"

start_nginx "$work" "$port_lb" "$port_a" "$port_b" "$work/nginx-access.log"

export CALLREC_DATABASE_URL="$pg_server/$db"
export CALLREC_AUDIO_STORE="s3://$CALLREC_TEST_S3_BUCKET/cluster-$$"
export CALLREC_S3_ENDPOINT="$CALLREC_TEST_S3_ENDPOINT"
CALLREC_SECRET_KEY="$("$CALLREC_BIN" keys generate)"
export CALLREC_SECRET_KEY
export CALLREC_TRUSTED_PROXIES="127.0.0.1/32"
export CALLREC_PUBLIC_URL="https://127.0.0.1:$port_lb"
export CALLREC_MFA_ATTEMPT_LIMIT=5
export CALLREC_LOG_FORMAT=json
# Debug lines too: the secrets check reads everything a node can say.
export CALLREC_LOG="debug,sqlx=warn,hyper=info,hyper_util=info,h2=info,rustls=info,reqwest=info"

echo "== cluster: demo data into PostgreSQL ($db) and $CALLREC_AUDIO_STORE"
CALLREC_DATA_DIR="$work/cli" "$CALLREC_BIN" demo --recordings 30 >"$work/demo.out" 2>"$work/demo.log"

start_node() { # name port metrics-port
  CALLREC_DATA_DIR="$work/$1" CALLREC_METRICS_LISTEN="127.0.0.1:$3" \
    "$CALLREC_BIN" serve --listen "127.0.0.1:$2" >"$work/$1.out" 2>"$work/$1.log" &
}
# Both at once, on the database the demo set up.
start_node a "$port_a" "$metrics_a"; pid_a=$!; pids+=("$pid_a")
start_node b "$port_b" "$metrics_b"; pid_b=$!; pids+=("$pid_b")
for port in "$port_a" "$port_b"; do
  for _ in $(seq 300); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work"/a.log "$work"/b.log; exit 1; }
done
echo "== cluster: nodes on :$port_a and :$port_b, nginx (TLS) on :$port_lb"

token="$(CALLREC_DATA_DIR="$work/cli" "$CALLREC_BIN" token create --company "Acme Telecom" --name cluster-pbx 2>>"$work/demo.log" | tail -n 1)"

CLUSTER_URL="https://127.0.0.1:$port_lb" NODE_A_URL="http://127.0.0.1:$port_a" \
NODE_B_URL="http://127.0.0.1:$port_b" NODE_A_PID="$pid_a" \
METRICS_B_URL="http://127.0.0.1:$metrics_b/metrics" CLUSTER_TOKEN="$token" \
LOG_FILES="$work/a.log $work/b.log $work/a.out $work/b.out $work/demo.log $work/nginx-access.log $work/nginx-error.log" \
  python3 scripts/cluster_test.py

echo "== cluster: node a restarts; its sweep leaves no object without a row"
CALLREC_ORPHAN_GRACE_SECONDS=0 start_node a "$port_a" "$metrics_a"; pid_a=$!; pids+=("$pid_a")
for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$port_a/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
rows="$(psql -tAq "$CALLREC_DATABASE_URL" -c "SELECT COUNT(*) FROM (SELECT storage_key FROM recordings UNION SELECT storage_key FROM deleted_recordings) used")"
pending="$(psql -tAq "$CALLREC_DATABASE_URL" -c "SELECT COUNT(*) FROM pending_audio")"
if [ -n "${CALLREC_TEST_S3_ROOT:-}" ]; then
  objects="$(find "$CALLREC_TEST_S3_ROOT/$CALLREC_TEST_S3_BUCKET/cluster-$$" -type f | wc -l)"
  [ "$objects" -eq "$rows" ] && [ "$pending" -eq 0 ] \
    || { echo "FAIL: $objects objects for $rows stored keys, $pending uploads still noted"; exit 1; }
  echo "  ok: $objects objects in the bucket, one per stored key; no upload left noted"
fi

echo "== cluster: a node with another master key is refused"
other="$("$CALLREC_BIN" keys generate)"
if CALLREC_SECRET_KEY="$other" CALLREC_DATA_DIR="$work/c" "$CALLREC_BIN" serve --listen "127.0.0.1:$(free_port)" \
    >"$work/c.out" 2>"$work/c.log"; then
  echo "FAIL: a node with another CALLREC_SECRET_KEY started"; exit 1
fi
grep -q "every node must use the same key" "$work/c.out" "$work/c.log" \
  || { echo "FAIL: the refusal does not say what to do"; cat "$work/c.out" "$work/c.log"; exit 1; }

echo "== cluster: SIGTERM stops node b with exit code 0"
kill -TERM "$pid_b"
status=0; wait "$pid_b" || status=$?
[ "$status" -eq 0 ] || { echo "FAIL: node b exited with $status after SIGTERM"; tail -5 "$work/b.log"; exit 1; }
echo "== cluster test passed"
