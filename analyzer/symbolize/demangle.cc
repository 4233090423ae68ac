// Demangling through the C++ runtime's own demangler (abi::__cxa_demangle),
// so the spelling matches what c++filt and the debuggers print.

#include "symbolize/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace heaptrail::analyzer::symbolize_internal {

std::string Demangle(std::string_view name) {
  // Only Itanium names start with "_Z"; handing anything else to the
  // demangler risks turning a plain C name like "f" into a type name.
  if (name.size() < 2 || name[0] != '_' || name[1] != 'Z') {
    return std::string(name);
  }
  const std::string terminated(name);  // __cxa_demangle wants a C string.
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(terminated.c_str(), nullptr, nullptr, &status),
      &std::free);
  if (status != 0 || demangled == nullptr) return terminated;
  return std::string(demangled.get());
}

}  // namespace heaptrail::analyzer::symbolize_internal
