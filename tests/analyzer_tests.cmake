# Unit tests of the analyzer library (heaptrail_analysis). They link the
# library and never list its sources; trace_builder is a test-only encoder.
set(HEAPTRAIL_ANALYZER_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer)

add_library(heaptrail_trace_builder STATIC
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace_builder.cc)
target_include_directories(heaptrail_trace_builder PUBLIC ${HEAPTRAIL_ANALYZER_TEST_DIR})
target_link_libraries(heaptrail_trace_builder
  PUBLIC heaptrail_analysis absl::flat_hash_map absl::status
  PRIVATE zstd::libzstd_shared)

add_executable(heaptrail_analyzer_tests
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/address_table_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/byte_cursor_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/cli_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/event_merger_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/heap_model_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/mapped_file_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/record_decoder_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/run_command_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/site_diff_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/sites_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/size_format_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/size_histogram_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/stack_symbolization_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace_analysis_test.cc
  ${HEAPTRAIL_ANALYZER_TEST_DIR}/trace_reader_test.cc
)
target_link_libraries(heaptrail_analyzer_tests
  PRIVATE heaptrail_analysis heaptrail_trace_builder zstd::libzstd_shared
          GTest::gtest GTest::gtest_main)

if(HEAPTRAIL_SANITIZER_FLAGS)
  foreach(target heaptrail_trace_builder heaptrail_analyzer_tests)
    target_compile_options(${target} PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
    target_link_options(${target} PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
  endforeach()
endif()

gtest_discover_tests(heaptrail_analyzer_tests DISCOVERY_TIMEOUT 30)
