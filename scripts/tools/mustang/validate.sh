#!/bin/sh
# Validates a Factur-X PDF or CII XML with the Mustang CLI fetched by scripts/bin/ensure-tools.sh
# (tools.d/facturx.sh): XSD, EN 16931 and French schematrons, and PDF/A-3 through veraPDF for a PDF.
# Prints Mustang's XML report on stdout (its log on stderr). Exit status 0 when every part is valid:
# Mustang's own status and exit code leave out a PDF/A failure, so any invalid <summary> counts here.
# Usage: scripts/tools/mustang/validate.sh FILE
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
report=$(java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -jar "$ROOT/.cache/mustang/Mustang-CLI.jar" --no-notices --action validate --source "$1")
status=$?
printf '%s\n' "$report"
if [ "$status" -ne 0 ] || printf '%s' "$report" | grep -q '<summary status="invalid"/>'; then exit 1; fi
printf '%s' "$report" | grep -q '<summary status="valid"/>' || exit 2
