// Scope prefixes of function declarations; see scope_names.h.

#include "symbolize/scope_names.h"

#include <dwarf.h>

#include <cstdlib>

namespace heaptrail::analyzer::symbolize_internal {
namespace {

// The "name::" a scope DIE adds to a qualified name; empty for DIEs that
// add nothing (lexical blocks, the unit).
std::string ScopePart(Dwarf_Die* scope) {
  const char* name = dwarf_diename(scope);
  switch (dwarf_tag(scope)) {
    case DW_TAG_namespace:
      return std::string(name != nullptr ? name : "(anonymous namespace)") +
             "::";
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_interface_type:
      return std::string(name != nullptr ? name : "{unnamed type}") + "::";
    case DW_TAG_subprogram:  // a local class: c++filt writes "f()::Local"
      return name != nullptr ? std::string(name) + "()::" : std::string();
    default:
      return {};
  }
}

bool IsTypeOrNamespace(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
         tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
         tag == DW_TAG_interface_type;
}

}  // namespace

std::string ScopeNames::Qualify(Dwarf_Die* declaration, const char* name) {
  Dwarf_Die unit;
  if (dwarf_diecu(declaration, &unit, nullptr, nullptr) == nullptr) {
    return name;
  }
  std::unique_ptr<Unit>& indexed = units_[unit.addr];
  if (indexed == nullptr) indexed = IndexUnit(&unit);
  auto it = indexed->prefix_of.find(declaration->addr);
  if (it == indexed->prefix_of.end()) return QualifyByWalk(declaration, name);
  return indexed->prefixes[it->second] + name;
}

std::unique_ptr<ScopeNames::Unit> ScopeNames::IndexUnit(Dwarf_Die* unit) {
  auto indexed = std::make_unique<Unit>();
  indexed->prefixes.emplace_back();
  // Iterative: a malformed file may nest DIEs arbitrarily deep.
  struct Pending {
    Dwarf_Die die;
    uint32_t prefix;
  };
  std::vector<Pending> pending;
  Dwarf_Die child;
  if (dwarf_child(unit, &child) == 0) pending.push_back({child, 0});
  while (!pending.empty()) {
    Pending current = pending.back();
    pending.pop_back();
    Dwarf_Die sibling;
    if (dwarf_siblingof(&current.die, &sibling) == 0) {
      pending.push_back({sibling, current.prefix});
    }
    const int tag = dwarf_tag(&current.die);
    if (tag == DW_TAG_subprogram) {
      // Function bodies are not entered: that is most of a unit's DIEs, and
      // functions declared inside them (local classes) are rare enough for
      // the fallback walk.
      indexed->prefix_of.emplace(current.die.addr, current.prefix);
    } else if (IsTypeOrNamespace(tag) &&
               dwarf_child(&current.die, &child) == 0) {
      const auto prefix = static_cast<uint32_t>(indexed->prefixes.size());
      indexed->prefixes.push_back(indexed->prefixes[current.prefix] +
                                  ScopePart(&current.die));
      pending.push_back({child, prefix});
    }
  }
  return indexed;
}

std::string ScopeNames::QualifyByWalk(Dwarf_Die* declaration,
                                      const char* name) {
  Dwarf_Die* scopes = nullptr;
  const int depth = dwarf_getscopes_die(declaration, &scopes);
  std::string qualified;
  // scopes[0] is the declaration itself, the last one its unit.
  for (int i = depth - 1; i >= 1; --i) qualified += ScopePart(&scopes[i]);
  free(scopes);
  return qualified + name;
}

}  // namespace heaptrail::analyzer::symbolize_internal
