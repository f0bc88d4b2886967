#!/bin/sh
# Installs npm dependencies when the lock file or a package.json changed since the last install.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
STAMP=node_modules/.vigie-install-stamp
SUM=$(cat package-lock.json package.json */package.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SUM" ]; then exit 0; fi
echo "[install] npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "$SUM" > "$STAMP"
