# Abseil from its static archives where Debian ships them: its 28 shared
# libraries cost every run of the CLI 3 ms of dynamic loading (`heaptrail
# --help`: 5.5-6.1 -> 2.5-2.8 ms), a twentieth of a small report.
get_property(_imported DIRECTORY PROPERTY IMPORTED_TARGETS)
foreach(_target IN LISTS _imported)
  if(NOT _target MATCHES "^absl::")
    continue()
  endif()
  get_target_property(_type ${_target} TYPE)
  if(NOT _type STREQUAL "SHARED_LIBRARY")
    continue()
  endif()
  get_target_property(_shared ${_target} IMPORTED_LOCATION_NONE)
  string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" _static "${_shared}")
  if(EXISTS "${_static}")
    set_target_properties(${_target} PROPERTIES IMPORTED_LOCATION_NONE "${_static}"
                          IMPORTED_SONAME_NONE "")
  endif()
endforeach()
