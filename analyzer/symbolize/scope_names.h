// Qualified names ("ns::Class::Method") for functions whose DWARF has no
// linkage name to demangle; GCC omits it for everything in an anonymous
// namespace, which is a lot of real C++.
//
// The enclosing namespaces and classes are the DIE parents of the function's
// declaration, but DWARF has no parent links: libdw's dwarf_getscopes_die
// finds them by walking the unit from its top, about a millisecond for a
// large C++ unit. Instead the first question about a unit walks its scopes
// (namespaces and types, not function bodies) once and remembers the scope
// prefix of every function declared there; the walk from the top remains the
// fallback for declarations found elsewhere (inside a function body).
//
// Not thread-safe; one instance per module, owned by DwarfFrames.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_SCOPE_NAMES_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_SCOPE_NAMES_H_

#include <elfutils/libdw.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace heaptrail::analyzer::symbolize_internal {

class ScopeNames {
 public:
  // `name` prefixed with the scopes around `declaration`, the DIE that
  // declares the function (not an inlined or out-of-line copy of it).
  std::string Qualify(Dwarf_Die* declaration, const char* name);

 private:
  struct Unit {
    std::vector<std::string> prefixes;  // "" then "ns::", "ns::Class::", ...
    // Function declaration DIE (by the address of its bytes) -> prefix.
    absl::flat_hash_map<const void*, uint32_t> prefix_of;
  };

  static std::unique_ptr<Unit> IndexUnit(Dwarf_Die* unit);
  static std::string QualifyByWalk(Dwarf_Die* declaration, const char* name);

  absl::flat_hash_map<const void*, std::unique_ptr<Unit>> units_;
};

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_SCOPE_NAMES_H_
