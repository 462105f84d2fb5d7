# Shared by the page benchmarks (sourced): wrk, the release binary, a
# fresh database per backend, a served portal, a demo sign-in and one wrk
# measurement. Callers set PORT, PG_URL and DURATION.
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

# An empty database for `$1` (sqlite or postgres) in its own data folder.
fresh_backend() {
  local data="$work/$1"
  mkdir -p "$data"
  export CALLREC_DATA_DIR="$data"
  if [ "$1" = postgres ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS callrec_bench" -c "CREATE DATABASE callrec_bench" >/dev/null
    export CALLREC_DATABASE_URL="$PG_URL/callrec_bench"
  else
    export CALLREC_DATABASE_URL=""
  fi
}

# Loads RECORDINGS demo recordings into the current backend (`$1`).
load_recordings() {
  echo "== $1: loading $RECORDINGS recordings" >&2
  "$BIN" demo --recordings "$RECORDINGS" >/dev/null
  if [ "$1" = postgres ]; then psql "$CALLREC_DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null; fi
}

# Starts the portal on PORT and waits until it is ready.
serve() {
  "$BIN" serve --listen "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
}

stop_serving() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# The session cookie of demo user `$1`.
sign_in() {
  local cookie
  cookie=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" \
      --data-urlencode "username=$1" --data-urlencode "password=Demo-Calls-2026!" \
      "http://127.0.0.1:$PORT/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}')
  [ -n "$cookie" ] || { echo "could not sign in as $1" >&2; exit 1; }
  echo "$cookie"
}

# wrk on URL `$1` with cookie `$2` and `$3` connections for DURATION;
# prints "p50 p99 req/s", and stops the run on any non-2xx answer.
measure() {
  wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"$DURATION" --latency -H "Cookie: $2" "$1" > "$work/wrk.txt"
  if grep -q "Non-2xx" "$work/wrk.txt"; then
    echo "wrk saw errors:" >&2; cat "$work/wrk.txt" >&2; exit 1
  fi
  echo "$(awk '$1=="50%"{print $2}' "$work/wrk.txt") $(awk '$1=="99%"{print $2}' "$work/wrk.txt") $(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")"
}
