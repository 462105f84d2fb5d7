#!/usr/bin/env bash
# A real OpenID provider for the single sign-on tests (issue 29): npm's
# oidc-provider (a certified implementation; versions pinned by
# scripts/oidc/package-lock.json) behind the sign-in form of
# scripts/oidc/idp.mjs, on a free port of 127.0.0.1.
# Meant to be sourced: starts it, exports CALLREC_TEST_OIDC_ISSUER, and
# stops it when the sourcing shell exits.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
oidc_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/oidc" && pwd)"
oidc_wanted="$(sha256sum "$oidc_dir/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$oidc_dir/node_modules/.callrec-lock.sha256" 2>/dev/null)" != "$oidc_wanted" ]; then
  echo "== installing the test identity provider (npm's oidc-provider)"
  (cd "$oidc_dir" && npm ci --no-audit --no-fund --silent)
  echo "$oidc_wanted" >"$oidc_dir/node_modules/.callrec-lock.sha256"
fi
oidc_port="$(free_port)"
oidc_log="$(mktemp)"
node "$oidc_dir/idp.mjs" "$oidc_port" >"$oidc_log" 2>&1 &
oidc_server=$!
chain_exit_trap 'kill "$oidc_server" 2>/dev/null || true; rm -f "$oidc_log"'
if wait_for_url "http://127.0.0.1:$oidc_port/.well-known/openid-configuration" "$oidc_server"; then
  export CALLREC_TEST_OIDC_ISSUER="http://127.0.0.1:$oidc_port"
  echo "== test identity provider (oidc-provider) on $CALLREC_TEST_OIDC_ISSUER"
else
  echo "the test identity provider did not start:"
  cat "$oidc_log"
fi
