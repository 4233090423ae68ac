// Which functions of one DWARF unit hold an address, inlined calls included.
//
// libdw's dwarf_getscopes answers this by walking the unit's DIE tree from
// the top on every call; a large C++ unit has hundreds of thousands of DIEs,
// which made that walk cost about a millisecond per address. This walks the
// tree once and keeps only what has code: each concrete function with its
// address ranges, and under it the tree of its inlined calls. A lookup is then
// a binary search over the functions and a descent through the few inlined
// calls that contain the address.
//
// Not thread-safe; the DIEs stay valid as long as the module's Dwarf does.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_FUNCTION_INDEX_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_FUNCTION_INDEX_H_

#include <elfutils/libdw.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace heaptrail::analyzer::symbolize_internal {

class UnitFunctionIndex {
 public:
  // Indexes the unit whose DIE is `unit` (for split DWARF, the split unit).
  explicit UnitFunctionIndex(Dwarf_Die* unit);

  // The DIEs holding `pc` (an address in the unit's own address space),
  // innermost first: DW_TAG_inlined_subroutine DIEs, then the concrete
  // function they were inlined into, last. Empty when no function holds pc.
  std::vector<Dwarf_Die> Lookup(Dwarf_Addr pc) const;

 private:
  struct Node {
    Dwarf_Die die;
    int32_t parent = -1;  // the node this call was inlined into; -1: a root
    std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>> ranges;  // [low, high)
    std::vector<int32_t> children;  // inlined calls directly inside
  };
  struct RootRange {
    Dwarf_Addr low;
    Dwarf_Addr high;
    Dwarf_Addr max_high;  // max of `high` over this and all earlier entries
    int32_t node;
  };

  static bool Contains(const Node& node, Dwarf_Addr pc);

  std::vector<Node> nodes_;
  std::vector<RootRange> roots_;  // the concrete functions, sorted by `low`
};

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_FUNCTION_INDEX_H_
