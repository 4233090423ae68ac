#!/usr/bin/env bash
# Quick start 1: installs what is missing, builds, then traces the `leaks`
# sample and shows what heaptrail finds in it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
trace=$(mktemp -d)/leaks.trace
echo
echo "\$ heaptrail run -o $trace -- B/samples/leaks"
B/bin/heaptrail run -o "$trace" -- B/samples/leaks
echo
echo "\$ heaptrail report $trace"
B/bin/heaptrail report "$trace"
echo
echo "\$ heaptrail html $trace -o ${trace%.trace}.html"
B/bin/heaptrail html "$trace" -o "${trace%.trace}.html"
echo "open ${trace%.trace}.html in a browser: timeline, flame graphs, tables"
