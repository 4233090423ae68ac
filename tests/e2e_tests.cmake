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
                 allocate_then_wait deep_stacks deep_stacks_nofp)
gtest_discover_tests(recording_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)

add_executable(snapshot_diff_test e2e/snapshot_diff_test.cc)
target_link_libraries(snapshot_diff_test PRIVATE heaptrail_e2e_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(snapshot_diff_test PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples"
  HEAPTRAIL_SAMPLES_SOURCE_DIR="${PROJECT_SOURCE_DIR}/samples")
add_dependencies(snapshot_diff_test heaptrail heaptrail_preload phases growth two_builds_old
                 two_builds_new)
gtest_discover_tests(snapshot_diff_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)

add_executable(snapshot_signal_test e2e/snapshot_signal_test.cc)
target_link_libraries(snapshot_signal_test PRIVATE heaptrail_e2e_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(snapshot_signal_test PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples"
  HEAPTRAIL_SAMPLES_SOURCE_DIR="${PROJECT_SOURCE_DIR}/samples")
add_dependencies(snapshot_signal_test heaptrail heaptrail_preload own_handler snapshot_threads)
gtest_discover_tests(snapshot_signal_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)

add_executable(follow_fork_test e2e/follow_fork_test.cc)
target_link_libraries(follow_fork_test PRIVATE heaptrail_e2e_support GTest::gtest_main
                      nlohmann_json::nlohmann_json)
target_compile_definitions(follow_fork_test PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples"
  HEAPTRAIL_PRELOAD="$<TARGET_FILE:heaptrail_preload>")
add_dependencies(follow_fork_test heaptrail heaptrail_preload empty fork_child fork_exec
                 fork_threads)
gtest_discover_tests(follow_fork_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
# Reliability (issue 6): life cycle, faults, hostile input, security and
# real programs, on a shared helper that runs programs under the tracker.
add_library(heaptrail_e2e_tracing STATIC e2e/tracing.cc)
target_link_libraries(heaptrail_e2e_tracing PUBLIC heaptrail_e2e_support GTest::gtest
                      nlohmann_json::nlohmann_json)
target_compile_definitions(heaptrail_e2e_tracing PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples"
  HEAPTRAIL_SAMPLES_SOURCE_DIR="${PROJECT_SOURCE_DIR}/samples"
  HEAPTRAIL_PRELOAD="$<TARGET_FILE:heaptrail_preload>")

function(heaptrail_e2e_test name)
  add_executable(${name} e2e/${name}.cc)
  target_link_libraries(${name} PRIVATE heaptrail_e2e_tracing GTest::gtest_main)
  add_dependencies(${name} heaptrail heaptrail_preload ${ARGN})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()

heaptrail_e2e_test(lifecycle_test empty thread_lifecycle process_spawn dlopen_unload
                   plugin_first plugin_second unwinding static_lifetime fd_hostile
                   block_signals)
heaptrail_e2e_test(fault_test leaks cross_thread_free allocate_then_wait)
heaptrail_e2e_test(security_test leaks)
heaptrail_e2e_test(hostile_input_test fd_hostile)
target_link_libraries(hostile_input_test PRIVATE heaptrail_format)
if(HEAPTRAIL_SANITIZER_FLAGS)
  target_compile_definitions(hostile_input_test PRIVATE HEAPTRAIL_CLI_SANITIZED=1)
endif()
heaptrail_e2e_test(real_programs_test)
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
