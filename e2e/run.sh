#!/usr/bin/env bash
# Browser tests: installs Debian's Chromium and the npm packages when they
# are missing, then runs every test under e2e/tests with node's test runner.
# Needs CALLREC_BIN (the built callrec binary).
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages"
  npm ci --no-audit --no-fund
fi
if [ -z "${CALLREC_TEST_SMTP_URL:-}" ]; then
  # shellcheck source=../scripts/smtp-server.sh
  source ../scripts/smtp-server.sh
fi
if [ -z "${CALLREC_TEST_OIDC_ISSUER:-}" ]; then
  # shellcheck source=../scripts/oidc-provider.sh
  source ../scripts/oidc-provider.sh
fi
rm -rf artifacts && mkdir -p artifacts
echo "== browser tests"
node --test --test-concurrency=1 tests/
