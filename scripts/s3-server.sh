#!/usr/bin/env bash
# A real S3-compatible server for the object-storage tests: s3s-fs (from
# crates.io, built once into ~/.cache/callrec-tools) on a free port of
# 127.0.0.1, storing into a temporary folder, with one bucket.
# Meant to be sourced: starts the server, exports CALLREC_TEST_S3_ENDPOINT,
# CALLREC_TEST_S3_BUCKET and the AWS_* credentials, and stops it when the
# sourcing shell exits (chained with any EXIT trap already set).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tools="$HOME/.cache/callrec-tools"
if [ ! -x "$tools/bin/s3s-fs" ]; then
  echo "== installing s3s-fs (an S3-compatible server; a few minutes, once)"
  # 0.14 is the newest release that builds with this machine's Rust (1.95).
  cargo install --quiet --root "$tools" s3s-fs --version 0.14.1 --features binary --locked
fi
s3_root="$(mktemp -d)"
export CALLREC_TEST_S3_ROOT="$s3_root"
export CALLREC_TEST_S3_BUCKET="callrec-test"
mkdir -p "$s3_root/$CALLREC_TEST_S3_BUCKET"
s3_port="$(free_port)"
export AWS_ACCESS_KEY_ID="callrec-test-access"
export AWS_SECRET_ACCESS_KEY="callrec-test-secret-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
export AWS_DEFAULT_REGION="us-east-1"
"$tools/bin/s3s-fs" --host 127.0.0.1 --port "$s3_port" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$s3_root" \
  >"$s3_root.log" 2>&1 &
s3_server=$!
chain_exit_trap 'kill "$s3_server" 2>/dev/null || true; rm -rf "$s3_root"'
wait_for_port "$s3_port" || { echo "the S3 server did not start:"; cat "$s3_root.log"; }
export CALLREC_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
echo "== S3 server (s3s-fs) on $CALLREC_TEST_S3_ENDPOINT, bucket $CALLREC_TEST_S3_BUCKET in $s3_root"
