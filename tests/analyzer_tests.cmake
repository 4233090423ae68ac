# Unit tests of the analyzer, in folders that mirror analyzer/'s stages
# (unit/analyzer/<stage>/). They link the libraries and never list their
# sources; trace/trace_builder is a test-only trace encoder. The libdw
# symbolizer's own tests are symbolize_test (symbolize_tests.cmake).
set(HEAPTRAIL_ANALYZER_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer)

# Tests write #include "trace/trace_builder.h", as the analyzer does.
add_library(heaptrail_trace_builder STATIC
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace/trace_builder.cc)
target_include_directories(heaptrail_trace_builder PUBLIC ${HEAPTRAIL_ANALYZER_TEST_DIR})
target_link_libraries(heaptrail_trace_builder
  PUBLIC heaptrail_trace absl::flat_hash_map absl::status
  PRIVATE zstd::libzstd_shared)

add_executable(heaptrail_analyzer_tests
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace/byte_cursor_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace/mapped_file_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace/python_code_table_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace/record_decoder_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace/trace_reader_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/replay/address_table_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/replay/event_merger_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/replay/heap_model_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/replay/heap_timeline_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/replay/size_histogram_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/replay/trace_analysis_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/symbolize/python_frames_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/symbolize/python_line_table_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/symbolize/stack_symbolization_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/report/leak_check_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/report/python_sites_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/report/site_diff_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/report/sites_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/report/size_format_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/export/proto_writer_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/export/python_exports_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/html/flame_tree_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/html/html_page_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/cli/cli_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/cli/run_command_test.cc
)
target_include_directories(heaptrail_analyzer_tests PRIVATE ${HEAPTRAIL_ANALYZER_TEST_DIR})
target_link_libraries(heaptrail_analyzer_tests
  PRIVATE heaptrail_analysis heaptrail_trace_builder zstd::libzstd_shared
          GTest::gtest GTest::gtest_main
          # The recorder's StripPythonColumns, checked against the truth too.
          heaptrail_recorder)

if(HEAPTRAIL_SANITIZER_FLAGS)
  foreach(target heaptrail_trace_builder heaptrail_analyzer_tests)
    target_compile_options(${target} PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
    target_link_options(${target} PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
  endforeach()
endif()

gtest_discover_tests(heaptrail_analyzer_tests DISCOVERY_TIMEOUT 60)
