#!/usr/bin/env bash
# Runs every test of callrec on a fresh machine: formatting and lints, the
# Rust tests (domain, store, HTTP, CLI) on SQLite and PostgreSQL, and the
# browser tests in Debian's Chromium. Installs what it needs itself.
#
# PostgreSQL: set CALLREC_TEST_POSTGRES_URL (.ci/run does); when unset, a
# server answering on 127.0.0.1:5432 is used if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

# Builds live outside the checkout so a fresh clone reuses earlier work.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if [ -z "${CALLREC_TEST_POSTGRES_URL:-}" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  export CALLREC_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -n "${CALLREC_TEST_POSTGRES_URL:-}" ]; then
  echo "== PostgreSQL tests run against ${CALLREC_TEST_POSTGRES_URL%%\?*}"
else
  echo "== no PostgreSQL server found: PostgreSQL tests are skipped (set CALLREC_TEST_POSTGRES_URL)"
fi

# The sqlite3 shell: a store test dumps and restores a database with it.
if ! command -v sqlite3 >/dev/null; then
  echo "== installing Debian's sqlite3"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq sqlite3 >/dev/null
fi

# A real SMTP server for the mail tests (CALLREC_TEST_SMTP_URL, _MAILDIR).
# shellcheck source=scripts/smtp-server.sh
source scripts/smtp-server.sh
# A real S3-compatible server for the object-storage tests (CALLREC_TEST_S3_*).
# shellcheck source=scripts/s3-server.sh
source scripts/s3-server.sh
# A real speech engine for the transcription tests (CALLREC_TEST_TRANSCRIBE_URL).
# shellcheck source=scripts/asr-server.sh
source scripts/asr-server.sh
# A real OpenID provider for the single sign-on tests (CALLREC_TEST_OIDC_ISSUER).
# shellcheck source=scripts/oidc-provider.sh
source scripts/oidc-provider.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
# PostgreSQL halves without a server log themselves here (and fail under CI).
export CALLREC_TEST_SKIP_LOG="${CARGO_TARGET_DIR}/postgres-skipped.txt"
rm -f "$CALLREC_TEST_SKIP_LOG"
cargo test --workspace --quiet 2>&1 | grep -v '^$'
test "${PIPESTATUS[0]}" -eq 0
if [ -s "$CALLREC_TEST_SKIP_LOG" ]; then
  echo "== $(wc -l < "$CALLREC_TEST_SKIP_LOG") tests SKIPPED (no CALLREC_TEST_POSTGRES_URL, S3 server or speech engine):"
  sed 's/^/   /' "$CALLREC_TEST_SKIP_LOG"
fi

cargo build --quiet --bin callrec
echo "== API fuzzing (schemathesis)"
CALLREC_BIN="$CARGO_TARGET_DIR/debug/callrec" bash scripts/api-fuzz.sh
echo "== SCIM compliance (scim2-tester)"
CALLREC_BIN="$CARGO_TARGET_DIR/debug/callrec" bash scripts/scim-check.sh

echo "== deployment files"
CALLREC_BIN="$CARGO_TARGET_DIR/debug/callrec" bash scripts/deploy-check.sh
echo "== two nodes behind nginx (PostgreSQL, S3)"
CALLREC_BIN="$CARGO_TARGET_DIR/debug/callrec" bash scripts/cluster-test.sh

echo "== SIPREC recording server against SIPp"
CALLREC_BIN="$CARGO_TARGET_DIR/debug/callrec" bash scripts/sip-test.sh

echo "== browser tests"
CALLREC_BIN="$CARGO_TARGET_DIR/debug/callrec" bash e2e/run.sh
