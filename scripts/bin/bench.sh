#!/bin/sh
# `npm run bench [name]`: builds, starts a throwaway stack and prints the figures of bench/*.bench.ts.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
sh scripts/bin/install.sh
sh scripts/bin/ensure-tools.sh
npm run --silent build
exec node scripts/dist/bench-run.js "$@"
