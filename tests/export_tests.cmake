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
