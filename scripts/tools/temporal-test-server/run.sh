#!/bin/sh
# Launches the Temporal Java test server (time skipping) fetched by scripts/bin/ensure-tools.sh.
# `exec` matters: the TypeScript SDK stops exactly the process it spawned.
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp "$ROOT/.cache/temporal-test-server/lib/*" io.temporal.testserver.TestServer "$@"
