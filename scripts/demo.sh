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
# bash unsets these when the coprocess ends: keep copies.
phases_pid=$PHASES_PID
exec {from_phases}<&"${PHASES[0]}" {to_phases}>&"${PHASES[1]}"
read -r _ pid <&"$from_phases"
for phase in 1 2; do
  read -r _ <&"$from_phases"  # "phase N done"
  echo "\$ heaptrail snapshot $pid --label 'after phase $phase'"
  B/bin/heaptrail snapshot "$pid" --label "after phase $phase"
  echo go >&"$to_phases"
done
wait "$phases_pid"
exec {from_phases}<&- {to_phases}>&-
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
