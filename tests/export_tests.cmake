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
