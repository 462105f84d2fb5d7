#!/usr/bin/env bash
# Meant to be sourced by the benchmarks that run release nodes behind
# nginx (`cluster.sh`, `signin.sh`): installs wrk when missing, sources
# scripts/lib.sh and scripts/nginx-lb.sh, builds the release binary and
# the Argon2id bound, and sets BIN.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/callrec-target}"
if ! command -v wrk >/dev/null; then
  echo "== installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=scripts/nginx-lb.sh
source scripts/nginx-lb.sh
echo "== building callrec and the Argon2id bound (release)" >&2
cargo build --release --quiet --bin callrec
cargo build --release --quiet -p callrec-app --example argon2_rate
BIN="$CARGO_TARGET_DIR/release/callrec"
