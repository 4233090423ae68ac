# End-to-end tests: the samples run under `heaptrail run`, checked through
# `heaptrail report` like a user would.

add_library(heaptrail_e2e_support STATIC e2e/subprocess.cc)
target_include_directories(heaptrail_e2e_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/e2e)

# What every e2e test shares: running programs under the tracker, reading
# their reports (e2e/tracing.h).
add_library(heaptrail_e2e_tracing STATIC e2e/tracing.cc)
target_link_libraries(heaptrail_e2e_tracing PUBLIC heaptrail_e2e_support GTest::gtest
                      nlohmann_json::nlohmann_json)
target_compile_definitions(heaptrail_e2e_tracing PRIVATE
  HEAPTRAIL_CLI="$<TARGET_FILE:heaptrail>"
  HEAPTRAIL_SAMPLES_DIR="${PROJECT_BINARY_DIR}/samples"
  HEAPTRAIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  HEAPTRAIL_PRELOAD="$<TARGET_FILE:heaptrail_preload>")

# heaptrail_e2e_test(NAME SAMPLE...): e2e/NAME.cc, run on the samples named.
# Parameterized tests name their cases with a name generator; NO_PRETTY_VALUES
# keeps those names in CTest (CMake 3.25 only rewrites numeric indices and
# would leave "# GetParam() = ..." in the name).
function(heaptrail_e2e_test name)
  add_executable(${name} e2e/${name}.cc)
  target_link_libraries(${name} PRIVATE heaptrail_e2e_tracing GTest::gtest_main)
  add_dependencies(${name} heaptrail heaptrail_preload ${ARGN})
  gtest_discover_tests(${name} NO_PRETTY_VALUES DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()

heaptrail_e2e_test(recording_test empty leaks every_entry_point cross_thread_free fork_child static_program
                   snapshots allocate_then_wait deep_stacks deep_stacks_nofp column_sections)
target_link_libraries(recording_test PRIVATE heaptrail_trace)  # reads a trace's records
heaptrail_e2e_test(snapshot_diff_test phases growth two_builds_old two_builds_new)
heaptrail_e2e_test(snapshot_signal_test own_handler snapshot_threads)
heaptrail_e2e_test(follow_fork_test empty fork_child fork_exec fork_threads)
heaptrail_e2e_test(report_test line_leaks inlined_alloc mismatched_free leaks alloc_wrappers)
target_sources(report_test PRIVATE e2e/golden_report_test.cc)
# `heaptrail export` read back by the real consumers (go tool pprof, ms_print).
heaptrail_e2e_test(export_test leaks snapshots)
heaptrail_e2e_test(lifecycle_test empty thread_lifecycle process_spawn dlopen_unload
                   plugin_first plugin_second unwinding static_lifetime fd_hostile
                   block_signals late_exit late_exit_dlopen clone_process thread_storm
                   seccomp_sandbox libc_blocks dlmopen_namespace)
heaptrail_e2e_test(fault_test empty leaks cross_thread_free allocate_then_wait)
heaptrail_e2e_test(security_test leaks)
heaptrail_e2e_test(check_test leaks)
heaptrail_e2e_test(leak_kinds_test leak_kinds live_leaks growth)
heaptrail_e2e_test(hostile_input_test fd_hostile)
target_link_libraries(hostile_input_test PRIVATE heaptrail_format)
if(HEAPTRAIL_SANITIZER_FLAGS)
  target_compile_definitions(hostile_input_test PRIVATE HEAPTRAIL_CLI_SANITIZED=1)
endif()
heaptrail_e2e_test(real_programs_test)
heaptrail_e2e_test(python_test)
heaptrail_e2e_test(python_frames_test)
# Built only where jemalloc and tcmalloc are installed (samples/CMakeLists.txt).
foreach(sample with_jemalloc with_tcmalloc)
  if(TARGET ${sample})
    add_dependencies(lifecycle_test ${sample})
  endif()
endforeach()
