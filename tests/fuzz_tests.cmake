# libFuzzer targets (clang only: -DHEAPTRAIL_FUZZ=ON with CC=clang
# CXX=clang++), one per parser, with ASan and UBSan. scripts/fuzz.sh runs
# them briefly from their seed corpora in tests/fuzz/corpus/.

set(HEAPTRAIL_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)

function(heaptrail_fuzzer name)
  add_executable(${name} ${HEAPTRAIL_FUZZ_DIR}/${name}.cc)
  target_include_directories(${name} PRIVATE ${HEAPTRAIL_FUZZ_DIR})
  target_link_libraries(${name} PRIVATE heaptrail_analysis ${ARGN})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

heaptrail_fuzzer(trace_file_fuzzer)
heaptrail_fuzzer(trace_records_fuzzer heaptrail_trace_builder)
heaptrail_fuzzer(module_records_fuzzer)
heaptrail_fuzzer(cli_options_fuzzer)
