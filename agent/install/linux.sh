#!/bin/sh
# Vigie agent installer for Linux (systemd), served by the Vigie API. It downloads the agent from the same
# server, checks its SHA-256, enrolls this machine with the enrollment token and starts the service.
#   curl -fsSL <server>/api/v1/agents/install/linux.sh | sudo sh -s -- --url <server> --token <token>
set -eu

AGENT_SHA256="@@AGENT_SHA256@@"
PREFIX="${VIGIE_PREFIX:-/opt/vigie-agent}"
DATA_DIR="${VIGIE_DATA_DIR:-/var/lib/vigie-agent}"
UNIT_DIR="${VIGIE_UNIT_DIR:-/etc/systemd/system}"
URL=""
TOKEN=""

fail() { echo "vigie-agent install: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --url) URL="${2:-}"; shift 2 ;;
    --token) TOKEN="${2:-}"; shift 2 ;;
    *) fail "unknown option $1 (expected --url <server> --token <enrollment token>)" ;;
  esac
done
[ -n "$URL" ] && [ -n "$TOKEN" ] || fail "usage: linux.sh --url <server> --token <enrollment token>"
URL="${URL%/}"
# The default locations belong to root; custom ones (VIGIE_*) may not.
if [ -z "${VIGIE_UNIT_DIR:-}" ] && [ "$(id -u)" != 0 ]; then fail "run as root (sudo)"; fi
command -v curl >/dev/null 2>&1 || fail "curl is required"
command -v sha256sum >/dev/null 2>&1 || fail "sha256sum is required"
command -v systemctl >/dev/null 2>&1 || fail "systemd is required (systemctl not found)"
NODE="$(command -v node || true)"
[ -n "$NODE" ] || fail "Node.js 20 or later is required: install it (e.g. apt install nodejs, dnf install nodejs) and run this again"
NODE_MAJOR="$("$NODE" -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || fail "Node.js $NODE_MAJOR is too old; 20 or later is required"

mkdir -p "$PREFIX"
curl -fsSL "$URL/api/v1/agents/install/vigie-agent.js" -o "$PREFIX/vigie-agent.js.download"
echo "$AGENT_SHA256  $PREFIX/vigie-agent.js.download" | sha256sum -c --status || fail "the downloaded agent does not match its checksum"
mv "$PREFIX/vigie-agent.js.download" "$PREFIX/vigie-agent.js"

"$NODE" "$PREFIX/vigie-agent.js" enroll --url "$URL" --token "$TOKEN" --data-dir "$DATA_DIR"
"$NODE" "$PREFIX/vigie-agent.js" install-service --data-dir "$DATA_DIR" --unit-dir "$UNIT_DIR"
echo "Vigie agent installed and running. Status: $NODE $PREFIX/vigie-agent.js status --data-dir $DATA_DIR; logs: journalctl -u vigie-agent"
