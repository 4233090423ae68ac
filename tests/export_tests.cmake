# `heaptrail export` end to end: the samples' exports read back by the real
# consumers (go tool pprof, ms_print).

add_executable(export_test e2e/export_test.cc)
target_link_libraries(export_test PRIVATE heaptrail_e2e_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(export_test PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples")
add_dependencies(export_test heaptrail heaptrail_preload leaks snapshots)
gtest_discover_tests(export_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)

# Unit tests of the export and HTML building blocks.
set(HEAPTRAIL_VIZ_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/unit/viz)
add_executable(heaptrail_viz_tests
  ${HEAPTRAIL_VIZ_TEST_DIR}/flame_tree_test.cc
  ${HEAPTRAIL_VIZ_TEST_DIR}/heap_timeline_test.cc
  ${HEAPTRAIL_VIZ_TEST_DIR}/html_page_test.cc
  ${HEAPTRAIL_VIZ_TEST_DIR}/proto_writer_test.cc
)
target_link_libraries(heaptrail_viz_tests
  PRIVATE heaptrail_analysis GTest::gtest GTest::gtest_main)
gtest_discover_tests(heaptrail_viz_tests DISCOVERY_TIMEOUT 60)
