#!/usr/bin/env bash
# PyPI's scim2-tester against /scim/v2 of a real portal (issue 29): every
# check it has (discovery, create, read, query, replace, PATCH add /
# replace / remove, delete) for Users and Groups, with a token of scope
# scim. Part of scripts/test.sh. Needs CALLREC_BIN (the built binary).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

venv="$HOME/.cache/callrec-scim2-tester"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import scim2_tester, httpx2' 2>/dev/null; then
  echo "== installing scim2-tester"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scim2-tester==0.5.2 "scim2-client[httpx2]==0.13.2"
fi

data="$(mktemp -d)"
export CALLREC_DATA_DIR="$data"
export CALLREC_LOG=warn
unset CALLREC_DATABASE_URL
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

"$CALLREC_BIN" company add "Provisioned" >/dev/null
"$CALLREC_BIN" team add --company "Provisioned" Sales >/dev/null
token="$("$CALLREC_BIN" token create --company "Provisioned" --name "scim2-tester" --scope scim | grep '^crt_')"
export CALLREC_API_RATE_LIMIT=1000000
serve_in_background "$data/serve.log"
"$venv/bin/python" scripts/scim_check.py "http://127.0.0.1:$port/scim/v2" "$token"
