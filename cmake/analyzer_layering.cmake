# The analyzer's layering rule, checked before a stage compiles (see
# analyzer/CMakeLists.txt): a file of analyzer/<STAGE>/ includes analyzer
# headers only as "<stage>/<file>.h", and only from <STAGE> itself or from
# the stages listed in ALLOWED (those below it). Run as
#   cmake -DSTAGE=report -DALLOWED=trace|replay|symbolize -DSTAGES=trace|...
#         -DFILES=a.cc|a.h|... -DSTAMP=out.stamp -P analyzer_layering.cmake
# Lists are '|'-separated. On success it touches STAMP; on a violation it
# names every offending include and fails, so the build stops there.

cmake_minimum_required(VERSION 3.25)

string(REPLACE "|" ";" allowed "${ALLOWED}")
string(REPLACE "|" ";" stages "${STAGES}")
string(REPLACE "|" ";" files "${FILES}")
list(APPEND allowed ${STAGE})

set(violations "")
foreach(file IN LISTS files)
  file(STRINGS ${file} includes REGEX "^#include \"[^\"]+\"")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" path "${line}")
    if(NOT path MATCHES "/")
      string(APPEND violations
        "\n  ${file}: #include \"${path}\" (write it as \"<stage>/${path}\")")
    elseif(path MATCHES "^([a-z_]+)/")
      set(folder ${CMAKE_MATCH_1})
      if(folder IN_LIST stages AND NOT folder IN_LIST allowed)
        string(APPEND violations
          "\n  ${file}: #include \"${path}\" (${STAGE}/ may include from: ${allowed})")
      endif()
    endif()
  endforeach()
endforeach()

if(violations)
  message(FATAL_ERROR "analyzer/${STAGE}/ breaks the layering rule:${violations}")
endif()
file(TOUCH ${STAMP})
