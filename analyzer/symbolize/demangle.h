// C++ symbol demangling for the symbolizer.
//
// Names come from DWARF linkage names and ELF symbol tables of another
// process's modules, so anything that is not an Itanium-mangled name (C
// functions, Rust v0 symbols, garbage) is passed through unchanged.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_DEMANGLE_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_DEMANGLE_H_

#include <string>
#include <string_view>

namespace heaptrail::analyzer::symbolize_internal {

// Returns the demangled form of `name` ("ns::Foo(int)") when it is a mangled
// C++ name, otherwise `name` itself. Never throws.
std::string Demangle(std::string_view name);

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_DEMANGLE_H_
