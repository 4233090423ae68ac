#!/usr/bin/env bash
# Runs every libFuzzer target of a -DHEAPTRAIL_FUZZ=ON build for SECONDS each,
# starting from its seed corpus in tests/fuzz/corpus/TARGET (read only: new
# inputs go to a temporary directory). Exits non-zero on the first crash,
# leak, timeout or sanitizer report; the reproducer is left in the current
# directory.
#   scripts/fuzz.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-B-fuzz}"
seconds="${2:-12}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in trace_file_fuzzer trace_records_fuzzer module_records_fuzzer cli_options_fuzzer; do
  corpus="$PWD/tests/fuzz/corpus/${target%_fuzzer}"  # absolute: a target may chdir
  mkdir -p "$scratch/$target"
  echo "fuzzing $target for ${seconds}s from $corpus"
  "$build/tests/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=0 "$scratch/$target" "$corpus" 2>"$scratch/$target.log" ||
    { tail -60 "$scratch/$target.log"; echo "heaptrail fuzz: $target failed" >&2; exit 1; }
  grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs)' "$scratch/$target.log" | tail -1
done
