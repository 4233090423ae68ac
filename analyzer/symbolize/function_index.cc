// One walk over a unit's DIE tree; see function_index.h.

#include "symbolize/function_index.h"

#include <dwarf.h>

#include <algorithm>

namespace heaptrail::analyzer::symbolize_internal {
namespace {

std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>> CodeRanges(Dwarf_Die* die) {
  std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>> ranges;
  Dwarf_Addr base = 0;
  Dwarf_Addr low = 0;
  Dwarf_Addr high = 0;
  ptrdiff_t offset = 0;
  while ((offset = dwarf_ranges(die, offset, &base, &low, &high)) > 0) {
    if (low < high) ranges.emplace_back(low, high);
  }
  return ranges;
}

// DIEs whose children may hold code-bearing functions. Types are included
// because a function-local class's member functions can sit inside them.
bool MayHoldFunctions(int tag) {
  switch (tag) {
    case DW_TAG_lexical_block:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_namespace:
    case DW_TAG_module:
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
    case DW_TAG_interface_type:
      return true;
    default:
      return false;
  }
}

}  // namespace

UnitFunctionIndex::UnitFunctionIndex(Dwarf_Die* unit) {
  // Iterative, not recursive: a malformed file may nest DIEs arbitrarily
  // deep, and the stack must not be what runs out.
  struct Pending {
    Dwarf_Die die;
    int32_t function;  // innermost node around `die`, -1 for none
  };
  std::vector<Pending> pending;
  Dwarf_Die child;
  if (dwarf_child(unit, &child) == 0) pending.push_back({child, -1});
  while (!pending.empty()) {
    Pending current = pending.back();
    pending.pop_back();
    Dwarf_Die sibling;
    if (dwarf_siblingof(&current.die, &sibling) == 0) {
      pending.push_back({sibling, current.function});
    }
    const int tag = dwarf_tag(&current.die);
    int32_t function = current.function;
    bool descend = MayHoldFunctions(tag);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
        tag == DW_TAG_entry_point) {
      // Declarations and abstract instances have no code; nothing concrete
      // is nested inside them either.
      auto ranges = CodeRanges(&current.die);
      if (ranges.empty()) continue;
      const auto index = static_cast<int32_t>(nodes_.size());
      // A subprogram nested in another (a GCC nested function, a local
      // class's member) is a function of its own, not a frame of the outer.
      const bool inlined =
          tag == DW_TAG_inlined_subroutine && current.function >= 0;
      Node& node = nodes_.emplace_back();
      node.die = current.die;
      node.ranges = std::move(ranges);
      if (inlined) {
        node.parent = current.function;
        nodes_[current.function].children.push_back(index);
      } else {
        for (const auto& [low, high] : nodes_[index].ranges) {
          roots_.push_back({low, high, 0, index});
        }
      }
      function = index;
      descend = true;
    }
    if (descend && dwarf_child(&current.die, &child) == 0) {
      pending.push_back({child, function});
    }
  }
  std::sort(roots_.begin(), roots_.end(),
            [](const RootRange& a, const RootRange& b) { return a.low < b.low; });
  Dwarf_Addr max_high = 0;
  for (RootRange& root : roots_) {
    max_high = std::max(max_high, root.high);
    root.max_high = max_high;
  }
}

bool UnitFunctionIndex::Contains(const Node& node, Dwarf_Addr pc) {
  for (const auto& [low, high] : node.ranges) {
    if (low <= pc && pc < high) return true;
  }
  return false;
}

std::vector<Dwarf_Die> UnitFunctionIndex::Lookup(Dwarf_Addr pc) const {
  std::vector<Dwarf_Die> chain;
  auto it = std::upper_bound(
      roots_.begin(), roots_.end(), pc,
      [](Dwarf_Addr value, const RootRange& root) { return value < root.low; });
  int32_t node = -1;
  // Back over the functions starting at or before pc, until none of the
  // earlier ones reaches pc (max_high).
  while (it != roots_.begin()) {
    --it;
    if (it->max_high <= pc) break;
    if (pc < it->high) {
      node = it->node;
      break;
    }
  }
  if (node < 0) return chain;
  // Down through the inlined calls holding pc. Sibling calls do not overlap,
  // so the first child that holds pc is the one.
  for (bool descended = true; descended;) {
    descended = false;
    for (const int32_t child : nodes_[node].children) {
      if (Contains(nodes_[child], pc)) {
        node = child;
        descended = true;
        break;
      }
    }
  }
  for (; node >= 0; node = nodes_[node].parent) {
    chain.push_back(nodes_[node].die);
  }
  return chain;
}

}  // namespace heaptrail::analyzer::symbolize_internal
