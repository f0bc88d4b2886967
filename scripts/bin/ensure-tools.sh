#!/bin/sh
# Obtains every external component Vigie runs on, from the registries this project may use
# (Debian, the Go module proxy, Maven Central), and caches it under .cache/. Idempotent: a second
# run only checks that each tool is there.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE="$ROOT/.cache"
BIN="$CACHE/bin"
mkdir -p "$BIN"

TEMPORAL_CLI_VERSION=1.5.1
NATS_SERVER_VERSION=2.15.2
TEMPORAL_TEST_SERVER_VERSION=1.38.0
GOFAKES3_VERSION=1.2.0

say() { echo "[tools] $*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "[tools] need root to run: $*" >&2; exit 1; fi
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

# PostgreSQL: Debian's server package; we only use its binaries (our own clusters under .data/).
if [ -z "$(pg_bindir)" ] || [ ! -x "$(pg_bindir)/initdb" ]; then apt_install postgresql; fi

# Go toolchain for the Go-built servers.
if ! command -v go >/dev/null; then apt_install golang-go; fi

go_build() { # binary, module@version, ldflags
  name=$1; module=$2; flags=$3
  if [ -x "$BIN/$name" ]; then return 0; fi
  say "building $module (first run only, takes a few minutes)"
  GOBIN="$BIN" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install -trimpath -ldflags "-s -w $flags" "$module"
}

go_build temporal "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" \
  "-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION"

if ! go_build nats-server "github.com/nats-io/nats-server/v2@v$NATS_SERVER_VERSION" ""; then
  say "nats-server build failed; falling back to Debian's nats-server"
  apt_install nats-server
  ln -sf "$(command -v nats-server)" "$BIN/nats-server"
fi

# LibreOffice renders documents to PDF through Carbone (the worker needs it).
if [ ! -x /usr/lib/libreoffice/program/soffice.bin ] || ! dpkg -s python3-uno >/dev/null 2>&1; then
  apt_install libreoffice-writer-nogui python3-uno fonts-dejavu-core fonts-liberation2
fi

# Java test server for time-skipping workflow tests (only needed by the test suite).
if [ "${VIGIE_TOOLS_TEST:-0}" = 1 ]; then
  TTS="$CACHE/temporal-test-server"
  if [ ! -f "$TTS/.complete-$TEMPORAL_TEST_SERVER_VERSION" ]; then
    command -v mvn >/dev/null || apt_install maven
    command -v java >/dev/null || apt_install default-jre-headless
    say "fetching io.temporal:temporal-test-server:$TEMPORAL_TEST_SERVER_VERSION from Maven Central"
    rm -rf "$TTS/lib"
    mvn -q -B -f "$ROOT/scripts/tools/temporal-test-server/pom.xml" \
      -Dtemporal.version="$TEMPORAL_TEST_SERVER_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$TTS/lib" -DincludeScope=runtime
    touch "$TTS/.complete-$TEMPORAL_TEST_SERVER_VERSION"
  fi
  # S3-compatible server for the S3 document storage tests (seconds to build).
  go_build gofakes3 "github.com/johannesboyne/gofakes3/cmd/gofakes3@v$GOFAKES3_VERSION" ""
  # Browser for the web tests; pdftotext reads rendered PDFs back in tests.
  command -v chromium >/dev/null || apt_install chromium
  command -v pdftotext >/dev/null || apt_install poppler-utils
  # Further test-only tools, one file each (sourced: they may use say, apt_install, go_build).
  for extra in "$ROOT"/scripts/bin/tools.d/*.sh; do
    [ -f "$extra" ] && . "$extra"
  done
fi
say "ready"
