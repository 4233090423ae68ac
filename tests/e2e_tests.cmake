# End-to-end tests: the samples run under `heaptrail run`, checked through
# `heaptrail report` like a user would.

add_library(heaptrail_e2e_support STATIC e2e/subprocess.cc)
target_include_directories(heaptrail_e2e_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/e2e)

add_executable(recording_test e2e/recording_test.cc)
target_link_libraries(recording_test PRIVATE heaptrail_e2e_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(recording_test PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples"
  HEAPTRAIL_PRELOAD="$<TARGET_FILE:heaptrail_preload>")
add_dependencies(recording_test heaptrail heaptrail_preload empty leaks every_entry_point
                 cross_thread_free fork_child snapshots
                 allocate_then_wait)
gtest_discover_tests(recording_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)

add_executable(report_test e2e/report_test.cc e2e/golden_report_test.cc)
target_link_libraries(report_test PRIVATE heaptrail_e2e_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(report_test PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples"
  HEAPTRAIL_SAMPLE_SOURCES_DIR="${PROJECT_SOURCE_DIR}/samples"
  HEAPTRAIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_dependencies(report_test heaptrail heaptrail_preload line_leaks inlined_alloc mismatched_free
                 leaks)
gtest_discover_tests(report_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
