# Unit tests of the recorder; they link heaptrail_recorder (and, for the
# round trip, the analyzer's decoder).

function(heaptrail_preload_test name)
  add_executable(${name} unit/preload/${name}.cc)
  target_link_libraries(${name} PRIVATE heaptrail_recorder GTest::gtest_main ${ARGN})
  if(HEAPTRAIL_TSAN)
    # With the recorder built for TSan (preload/CMakeLists.txt).
    target_compile_options(${name} PRIVATE -fsanitize=thread)
    target_link_options(${name} PRIVATE -fsanitize=thread)
  elseif(HEAPTRAIL_SANITIZER_FLAGS)
    target_compile_options(${name} PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
    target_link_options(${name} PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
endfunction()

heaptrail_preload_test(stack_depot_test)
heaptrail_preload_test(intern_cache_test)
heaptrail_preload_test(ip_dictionary_test)
heaptrail_preload_test(stack_capture_test)
heaptrail_preload_test(shared_frame_rules_test)
heaptrail_preload_test(thread_buffer_test)
heaptrail_preload_test(live_blocks_test)
heaptrail_preload_test(reachability_test)
heaptrail_preload_test(tick_rounder_test)
heaptrail_preload_test(format_round_trip_test heaptrail_analysis)

add_executable(exported_symbols_test unit/preload/exported_symbols_test.cc)
target_link_libraries(exported_symbols_test PRIVATE GTest::gtest_main)
target_compile_definitions(exported_symbols_test PRIVATE
  HEAPTRAIL_PRELOAD_PATH="$<TARGET_FILE:heaptrail_preload>"
  HEAPTRAIL_VERSION_SCRIPT="${PROJECT_SOURCE_DIR}/preload/libheaptrail.map")
add_dependencies(exported_symbols_test heaptrail_preload)
gtest_discover_tests(exported_symbols_test DISCOVERY_TIMEOUT 60)
