#!/usr/bin/env bash
# Quick start 1: installs what is missing, builds, then traces the `leaks`
# sample and shows what heaptrail finds in it; then the snapshot workflow on
# the `phases` sample: two snapshots sent from outside, and their diff.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
dir=$(mktemp -d)
trace=$dir/leaks.trace
echo
echo "\$ heaptrail run -o $trace -- B/samples/leaks"
B/bin/heaptrail run -o "$trace" -- B/samples/leaks
echo
echo "\$ heaptrail report $trace"
B/bin/heaptrail report "$trace"

# The `phases` sample prints its pid, then waits on stdin after each phase.
phases=$dir/phases.trace
echo
echo "\$ heaptrail run -o $phases -- B/samples/phases    # in the background"
coproc PHASES { B/bin/heaptrail run -o "$phases" -- B/samples/phases; }
read -r _ pid <&"${PHASES[0]}"
for phase in 1 2; do
  read -r _ <&"${PHASES[0]}"  # "phase N done"
  echo "\$ heaptrail snapshot $pid --label 'after phase $phase'"
  B/bin/heaptrail snapshot "$pid" --label "after phase $phase"
  echo go >&"${PHASES[1]}"
done
wait "$PHASES_PID"
echo
echo "\$ heaptrail snapshots $phases"
B/bin/heaptrail snapshots "$phases"
echo
echo "\$ heaptrail diff $phases --from 1 --to 2"
B/bin/heaptrail diff "$phases" --from 1 --to 2
echo
echo "\$ heaptrail html $trace -o ${trace%.trace}.html"
B/bin/heaptrail html "$trace" -o "${trace%.trace}.html"
echo "open ${trace%.trace}.html in a browser: timeline, flame graphs, tables"
