#!/bin/sh
# `npm start`: installs what is missing, builds what changed, then runs the whole platform locally.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
sh scripts/bin/install.sh
sh scripts/bin/ensure-tools.sh
echo "[build] tsc -b, workflow bundles, web app"
npm run --silent build
exec node scripts/dist/start.js "$@"
