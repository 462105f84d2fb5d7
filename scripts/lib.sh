#!/usr/bin/env bash
# Meant to be sourced by the test and benchmark scripts.

# Runs the command CMD when the shell exits, before whatever was already
# set to run then (the servers the scripts start stop in turn).
chain_exit_trap() {
  local previous
  previous="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/; s/'\\\\''/'/g")"
  # shellcheck disable=SC2016 # expanded when the trap runs
  if [ "$previous" = 'eval "$_chained_exit_traps"' ]; then previous="$_chained_exit_traps"; fi
  _chained_exit_traps="$1; ${previous:-:}"
  trap 'eval "$_chained_exit_traps"' EXIT
}

# Waits up to 10 s for something to listen on 127.0.0.1:PORT.
wait_for_port() {
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Installs with apt whichever of the Debian packages is missing, each
# given as COMMAND=PACKAGE (the command that shows it is there).
install_missing() {
  local wanted missing=()
  for wanted in "$@"; do
    command -v "${wanted%%=*}" >/dev/null || missing+=("${wanted#*=}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "== installing Debian's ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Waits up to SECONDS (10) for URL to answer while process PID lives;
# true if it does.
wait_for_url() {
  for _ in $(seq $((${3:-10} * 10))); do
    curl -sf "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  curl -sf "$1" >/dev/null 2>&1
}

# Starts `$CALLREC_BIN serve` on a free port of 127.0.0.1, its output in
# LOG, and waits for it; sets `server` (its pid) and `port`.
serve_in_background() {
  port="$(free_port)"
  "$CALLREC_BIN" serve --listen "127.0.0.1:$port" >"$1" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    grep -q "callrec is serving" "$1" && return 0
    sleep 0.1
  done
  cat "$1"
  return 1
}
