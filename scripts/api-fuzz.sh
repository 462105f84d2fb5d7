#!/usr/bin/env bash
# schemathesis (from PyPI) against /api/v1/openapi.json of a real portal
# with a real API token: every generated request must get no 5xx and an
# answer that matches the description (status, content type, schema), and
# requests without the token must be refused. Part of scripts/test.sh.
# Needs CALLREC_BIN (the built callrec binary).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$HOME/.cache/callrec-schemathesis"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "== installing schemathesis"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet schemathesis==4.32.5
fi

data="$(mktemp -d)"
export CALLREC_DATA_DIR="$data"
export CALLREC_LOG=warn
unset CALLREC_DATABASE_URL
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

"$CALLREC_BIN" company add "Schema Test" >/dev/null
"$CALLREC_BIN" team add --company "Schema Test" Sales >/dev/null
token="$("$CALLREC_BIN" token create --company "Schema Test" --name schemathesis | grep '^crt_')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$CALLREC_BIN" serve --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  grep -q "callrec is serving" "$data/serve.log" && break
  sleep 0.1
done
grep -q "callrec is serving" "$data/serve.log" || { cat "$data/serve.log"; exit 1; }

"$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection,ignored_auth \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-150}" \
  --seed 20261201 \
  --no-color
