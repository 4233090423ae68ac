#!/usr/bin/env bash
# Quick start 2: installs what is missing, builds, and runs every test: the
# Release build's whole suite, the transparency corpus of /usr/bin, the
# analyzer and the unit tests under
# ASan+UBSan, a short run of every fuzz target (clang), and the buffer,
# interning and shared frame rule tests under TSan. Each step says what it runs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== heaptrail test: %s\n' "$*"; }

scripts/setup.sh

step "Release build (B/): every test"
scripts/build.sh
ctest --test-dir B --output-on-failure --timeout 600 -j2

step "Transparency corpus: every ELF program in /usr/bin with --version, plain and traced"
python3 tests/corpus/usr_bin_corpus.py --cli B/bin/heaptrail --jobs 6

step "ASan+UBSan build (B-asan/): analyzer, symbolizer and preload unit tests, the CLI on hostile traces"
cmake -S . -B B-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEAPTRAIL_SANITIZE=ON \
  -DHEAPTRAIL_BUILD_BENCH=OFF >/dev/null
cmake --build B-asan --target heaptrail_analyzer_tests symbolize_test stack_depot_test intern_cache_test ip_dictionary_test \
  thread_buffer_test format_round_trip_test exported_symbols_test hostile_input_test
# Only the targets above are built; the other tests are left out.
ctest --test-dir B-asan --output-on-failure --timeout 600 -j2 -E '_NOT_BUILT$|^html_report_browser_test$'

step "libFuzzer build (B-fuzz/, clang, ASan+UBSan): every fuzz target from its seed corpus"
CC=clang CXX=clang++ cmake -S . -B B-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHEAPTRAIL_FUZZ=ON -DHEAPTRAIL_BUILD_BENCH=OFF >/dev/null
cmake --build B-fuzz --target trace_file_fuzzer trace_records_fuzzer module_records_fuzzer \
  cli_options_fuzzer
scripts/fuzz.sh B-fuzz 12

step "TSan build (B-tsan/): the buffer, interning and shared frame rule tests"
cmake -S . -B B-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEAPTRAIL_TSAN=ON \
  -DHEAPTRAIL_BUILD_BENCH=OFF >/dev/null
cmake --build B-tsan --target stack_depot_test thread_buffer_test shared_frame_rules_test
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir B-tsan --output-on-failure --timeout 600 -j2 \
  -R '^(StackDepotTest|ThreadBufferTest|SharedFrameRulesTest)\.'
