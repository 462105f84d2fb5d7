#!/usr/bin/env bash
# A real SMTP server for the mail tests: aiosmtpd (from PyPI, in its own
# virtualenv) on a free port of 127.0.0.1, delivering into a Maildir.
# Meant to be sourced: starts the server, exports CALLREC_TEST_SMTP_URL and
# CALLREC_TEST_MAILDIR, and stops it when the sourcing shell exits.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
venv="$HOME/.cache/callrec-aiosmtpd"
if [ ! -x "$venv/bin/aiosmtpd" ]; then
  echo "== installing aiosmtpd"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet aiosmtpd==1.4.6
fi
CALLREC_TEST_MAILDIR="$(mktemp -d)/maildir"
smtp_port="$(free_port)"
"$venv/bin/aiosmtpd" -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$CALLREC_TEST_MAILDIR" &
smtp_server=$!
chain_exit_trap 'kill "$smtp_server" 2>/dev/null || true'
wait_for_port "$smtp_port" || echo "the SMTP server did not start"
export CALLREC_TEST_SMTP_URL="smtp://127.0.0.1:$smtp_port"
export CALLREC_TEST_MAILDIR
echo "== SMTP server (aiosmtpd) on 127.0.0.1:$smtp_port, mail into $CALLREC_TEST_MAILDIR"
