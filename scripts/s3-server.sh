#!/usr/bin/env bash
# A real S3-compatible server for the object-storage tests: s3s-fs (from
# crates.io, built once into ~/.cache/callrec-tools) on a free port of
# 127.0.0.1, storing into a temporary folder, with one bucket.
# Meant to be sourced: starts the server, exports CALLREC_TEST_S3_ENDPOINT,
# CALLREC_TEST_S3_BUCKET and the AWS_* credentials, and stops it when the
# sourcing shell exits (chained with any EXIT trap already set).
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
s3_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export AWS_ACCESS_KEY_ID="callrec-test-access"
export AWS_SECRET_ACCESS_KEY="callrec-test-secret-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
export AWS_DEFAULT_REGION="us-east-1"
"$tools/bin/s3s-fs" --host 127.0.0.1 --port "$s3_port" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$s3_root" \
  >"$s3_root.log" 2>&1 &
s3_server=$!
previous_exit_trap="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
trap "kill $s3_server 2>/dev/null || true; rm -rf '$s3_root'; $previous_exit_trap" EXIT
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $s3_port), 0.2)" 2>/dev/null && break
  sleep 0.1
done
export CALLREC_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
echo "== S3 server (s3s-fs) on $CALLREC_TEST_S3_ENDPOINT, bucket $CALLREC_TEST_S3_BUCKET in $s3_root"
