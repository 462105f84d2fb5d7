#!/usr/bin/env bash
# Checks the deployment files docs/DEPLOY.md shows: the systemd unit with
# `systemd-analyze verify` (any warning fails) and the Caddyfile with
# `caddy validate` (Debian's caddy, installed when missing). nginx.conf is
# run for real by scripts/cluster-test.sh. Needs CALLREC_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CALLREC_BIN:?set CALLREC_BIN to the built callrec binary}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
command -v systemd-analyze >/dev/null || { echo "== installing systemd"; install systemd; }
command -v caddy >/dev/null || { echo "== installing Debian's caddy"; install caddy; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The unit as installed, but for the binary's path (verify checks it runs)
# and the environment file, which only the deployed machine has.
sed -e "s|/usr/local/bin/callrec|$(realpath "$CALLREC_BIN")|" \
    -e "s|EnvironmentFile=/etc/callrec/callrec.env|EnvironmentFile=-/etc/callrec/callrec.env|" \
    deploy/callrec.service > "$work/callrec.service"
said="$(systemd-analyze verify "$work/callrec.service" 2>&1)" || { echo "$said"; exit 1; }
[ -z "$said" ] || { echo "FAIL: systemd-analyze verify: $said"; exit 1; }
echo "  ok: deploy/callrec.service (systemd-analyze verify)"
caddy validate --config deploy/Caddyfile --adapter caddyfile >"$work/caddy.log" 2>&1 \
  || { cat "$work/caddy.log"; exit 1; }
echo "  ok: deploy/Caddyfile (caddy validate)"
