#!/bin/sh
# `npm test`: same set-up as `npm start` on throwaway data and separate ports, then lint and the whole suite.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
sh scripts/bin/install.sh
VIGIE_TOOLS_TEST=1 sh scripts/bin/ensure-tools.sh
echo "[build] tsc -b, workflow bundles, web app"
npm run --silent build
echo "[lint] eslint and type-check of tests"
npm run --silent lint
npm run --silent typecheck
npm run --silent typecheck --workspace @vigie/web
exec node scripts/dist/test-run.js "$@"
