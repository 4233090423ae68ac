# Symbolizer tests: symbolize_test links heaptrail_symbolize and checks exact
# file:line results against fixture libraries built here, plus the variants
# a real deployment meets (stripped, split debug info, no build-id, no
# .debug_aranges).

set(_symfix_src ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer/symbolize/fixtures)
set(_symfix_dir ${CMAKE_CURRENT_BINARY_DIR}/symbolize_fixtures)

# Fixtures: never sanitized, optimisation fixed by the fixture, not by the
# build type (the target options come after CMAKE_CXX_FLAGS_<CONFIG>).
add_library(heaptrail_symfix_o0 SHARED ${_symfix_src}/fixture_o0.cc)
target_compile_options(heaptrail_symfix_o0 PRIVATE -g -O0 -fno-builtin)
add_library(heaptrail_symfix_o2 SHARED ${_symfix_src}/fixture_o2.cc)
target_compile_options(heaptrail_symfix_o2 PRIVATE -g -O2 -fno-builtin)
# -gsplit-dwarf: the DWARF stays in a .dwo next to the object file, found
# through the skeleton unit's DW_AT_comp_dir and DW_AT_dwo_name.
add_library(heaptrail_symfix_o2_split SHARED ${_symfix_src}/fixture_o2.cc)
target_compile_options(heaptrail_symfix_o2_split PRIVATE -g -O2 -gsplit-dwarf -fno-builtin)
add_executable(heaptrail_symfix_exe ${_symfix_src}/fixture_exe.cc)
target_compile_options(heaptrail_symfix_exe PRIVATE -g -O0 -fno-builtin)
# A non-PIE executable: ET_EXEC, mapped at its link address (load bias 0).
set_target_properties(heaptrail_symfix_exe PROPERTIES POSITION_INDEPENDENT_CODE OFF)
target_compile_options(heaptrail_symfix_exe PRIVATE -fno-pie)
target_link_options(heaptrail_symfix_exe PRIVATE -no-pie)
set_target_properties(heaptrail_symfix_o0 heaptrail_symfix_o2 heaptrail_symfix_o2_split
                      heaptrail_symfix_exe
  PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${_symfix_dir}
             RUNTIME_OUTPUT_DIRECTORY ${_symfix_dir})

# Derived copies, as distributions ship them.
set(_symfix_o0 $<TARGET_FILE:heaptrail_symfix_o0>)
set(_symfix_o2 $<TARGET_FILE:heaptrail_symfix_o2>)
set(_symfix_outputs
  ${_symfix_dir}/o0_strip_debug.so      # .symtab kept, no DWARF
  ${_symfix_dir}/o0_strip_all.so        # .dynsym only
  ${_symfix_dir}/o0.debug               # the DWARF alone (for .build-id/)
  ${_symfix_dir}/o0_zlib.debug          # the same, sections zlib-compressed
  ${_symfix_dir}/o0_debuglink.so        # stripped + .gnu_debuglink to o0.debug
  ${_symfix_dir}/o0_debuglink_no_build_id.so  # same, build-id note removed
  ${_symfix_dir}/o2_no_aranges.so       # clang-style: no .debug_aranges
  ${_symfix_dir}/o2_strip_debug.so      # the -O2 fixture without DWARF
  ${_symfix_dir}/o2.debug               # its DWARF alone
  ${_symfix_dir}/o2_zlib.debug)         # the same, sections zlib-compressed
add_custom_command(
  OUTPUT ${_symfix_outputs}
  COMMAND ${CMAKE_OBJCOPY} --strip-debug ${_symfix_o0} o0_strip_debug.so
  COMMAND ${CMAKE_STRIP} --strip-all -o o0_strip_all.so ${_symfix_o0}
  COMMAND ${CMAKE_OBJCOPY} --only-keep-debug ${_symfix_o0} o0.debug
  COMMAND ${CMAKE_OBJCOPY} --compress-debug-sections=zlib-gabi o0.debug
          o0_zlib.debug
  COMMAND ${CMAKE_OBJCOPY} --strip-debug --add-gnu-debuglink=o0.debug
          ${_symfix_o0} o0_debuglink.so
  COMMAND ${CMAKE_OBJCOPY} --strip-debug --remove-section=.note.gnu.build-id
          --add-gnu-debuglink=o0.debug ${_symfix_o0} o0_debuglink_no_build_id.so
  COMMAND ${CMAKE_OBJCOPY} --remove-section=.debug_aranges ${_symfix_o2}
          o2_no_aranges.so
  COMMAND ${CMAKE_OBJCOPY} --strip-debug ${_symfix_o2} o2_strip_debug.so
  COMMAND ${CMAKE_OBJCOPY} --only-keep-debug ${_symfix_o2} o2.debug
  COMMAND ${CMAKE_OBJCOPY} --compress-debug-sections=zlib-gabi o2.debug
          o2_zlib.debug
  DEPENDS heaptrail_symfix_o0 heaptrail_symfix_o2
  WORKING_DIRECTORY ${_symfix_dir}
  COMMENT "Deriving stripped and split-debug symbolizer fixtures"
  VERBATIM)
# dwz (Debian's dbgsym packages use it): two fixtures sharing an inline
# function, their common DIEs moved to a supplementary file that is named by
# a path that does not exist, so only its build-id can find it. Optional:
# the test skips itself without dwz.
find_program(HEAPTRAIL_DWZ dwz)
if(HEAPTRAIL_DWZ)
  foreach(_part a b)
    add_library(heaptrail_symfix_dwz_${_part} SHARED ${_symfix_src}/dwz_${_part}.cc)
    target_compile_options(heaptrail_symfix_dwz_${_part} PRIVATE -g -O2 -fno-builtin)
    set_target_properties(heaptrail_symfix_dwz_${_part} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${_symfix_dir})
  endforeach()
  set(_symfix_dwz_outputs ${_symfix_dir}/dwz_a.so ${_symfix_dir}/dwz_b.so
      ${_symfix_dir}/dwz_common.debug)
  add_custom_command(
    OUTPUT ${_symfix_dwz_outputs}
    COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:heaptrail_symfix_dwz_a> dwz_a.so
    COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:heaptrail_symfix_dwz_b> dwz_b.so
    COMMAND ${HEAPTRAIL_DWZ} -m dwz_common.debug
            -M /nonexistent/heaptrail/dwz_common.debug dwz_a.so dwz_b.so
    DEPENDS heaptrail_symfix_dwz_a heaptrail_symfix_dwz_b
    WORKING_DIRECTORY ${_symfix_dir}
    COMMENT "Moving the dwz fixtures' common DWARF to a supplementary file"
    VERBATIM)
  list(APPEND _symfix_outputs ${_symfix_dwz_outputs})
endif()
add_custom_target(heaptrail_symfix_files DEPENDS ${_symfix_outputs})

add_executable(symbolize_test
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer/symbolize/debuginfo_locator_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer/symbolize/demangle_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer/symbolize/inflated_elf_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer/symbolize/symbolizer_test.cc)
target_include_directories(symbolize_test PRIVATE ${_symfix_src})
# One test symbolizes this very executable: it needs its DWARF in every build type.
target_compile_options(symbolize_test PRIVATE -g)
target_link_libraries(symbolize_test PRIVATE
  heaptrail_symbolize PkgConfig::LIBDW GTest::gtest_main ${CMAKE_DL_LIBS})
target_compile_definitions(symbolize_test PRIVATE
  HEAPTRAIL_SYMFIX_DIR="${_symfix_dir}"
  HEAPTRAIL_SYMFIX_O0="${_symfix_o0}"
  HEAPTRAIL_SYMFIX_O2="${_symfix_o2}"
  HEAPTRAIL_SYMFIX_O2_SPLIT="$<TARGET_FILE:heaptrail_symfix_o2_split>"
  HEAPTRAIL_SYMFIX_EXE="$<TARGET_FILE:heaptrail_symfix_exe>"
  HEAPTRAIL_SYMFIX_O0_SOURCE="${_symfix_src}/fixture_o0.cc"
  HEAPTRAIL_SYMFIX_O2_SOURCE="${_symfix_src}/fixture_o2.cc"
  HEAPTRAIL_SYMFIX_EXE_SOURCE="${_symfix_src}/fixture_exe.cc")
if(HEAPTRAIL_DWZ)
  target_compile_definitions(symbolize_test PRIVATE HEAPTRAIL_SYMFIX_HAVE_DWZ=1)
endif()
if(HEAPTRAIL_SANITIZER_FLAGS)
  target_compile_options(symbolize_test PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
  target_link_options(symbolize_test PRIVATE ${HEAPTRAIL_SANITIZER_FLAGS})
endif()
add_dependencies(symbolize_test heaptrail_symfix_o0 heaptrail_symfix_o2
  heaptrail_symfix_o2_split heaptrail_symfix_exe heaptrail_symfix_files)
gtest_discover_tests(symbolize_test DISCOVERY_MODE PRE_TEST)
