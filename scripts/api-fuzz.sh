#!/usr/bin/env bash
# schemathesis (from PyPI) against /api/v1/openapi.json of a real portal,
# once with a token of every scope and once with a token of all of them,
# every check schemathesis has (`--checks all`, settings in
# scripts/schemathesis.toml): no 5xx, answers that match the description
# (status, content type, schema, headers), schema-valid requests accepted
# and invalid ones refused, requests without the token refused, and every
# read outside the token's scopes 404 (scripts/api_scope_check.py). Part of
# scripts/test.sh.
# Needs CALLREC_BIN (the built callrec binary).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

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
"$CALLREC_BIN" company add "Other Company" >/dev/null
scopes="ingest recordings:read recordings:download directory:read audit:read notes:read notes:write transcripts:read"
declare -A tokens
for scope in $scopes all; do
  wanted="$scope"
  [ "$scope" = all ] && wanted="${scopes// /,}"
  tokens[$scope]="$("$CALLREC_BIN" token create --company "Schema Test" --name "schemathesis $scope" --scope "$wanted" | grep '^crt_')"
done
# A recording of each company, so ids that exist are in play too.
other="$("$CALLREC_BIN" token create --company "Other Company" --name other --scope ingest | grep '^crt_')"
export CALLREC_API_RATE_LIMIT=1000000
serve_in_background "$data/serve.log"

wav="$data/call.wav"
python3 - "$wav" <<'PY'
import struct, sys
samples = bytes(1600)
header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(samples))
open(sys.argv[1], "wb").write(header + samples)
PY
for who in "${tokens[ingest]}" "$other"; do
  curl -fsS -o /dev/null -H "Authorization: Bearer $who" \
    -F 'metadata={"started_at":"2026-11-20T09:30:00Z","direction":"inbound","from":"111","to":"222"};type=application/json' \
    -F "audio=@$wav" "http://127.0.0.1:$port/api/v1/recordings"
done

for scope in $scopes all; do
  echo "== schemathesis with a token of scope: $scope"
  examples="${SCHEMATHESIS_EXAMPLES:-40}"
  [ "$scope" = all ] && examples="${SCHEMATHESIS_EXAMPLES_ALL:-150}"
  CALLREC_FUZZ_SCOPES="$scope" SCHEMATHESIS_HOOKS=scripts.api_scope_check \
  PYTHONPATH=. "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --url "http://127.0.0.1:$port" \
    --header "Authorization: Bearer ${tokens[$scope]}" \
    --checks all \
    --max-examples "$examples" \
    --seed 20261201 \
    --no-color
done
