// Source frames of one address from a module's DWARF, inlined calls expanded.
//
// The line table gives the innermost location. Each DW_TAG_inlined_subroutine
// around the address is one more frame: its DW_AT_call_file / DW_AT_call_line
// / DW_AT_call_column are where the *enclosing* function called it, so the
// location of frame k+1 comes from the inlined DIE of frame k. The chain ends
// at the first real (non-inlined) function, so a lambda or nested function
// does not drag its lexically enclosing function into the stack. Which DIEs
// hold an address comes from a per-unit UnitFunctionIndex.
//
// Not thread-safe; one instance per module, owned by the symbolizer.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_DWARF_FRAMES_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_DWARF_FRAMES_H_

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "symbolize/function_index.h"
#include "symbolize/scope_names.h"
#include "symbolize/symbolizer.h"

namespace heaptrail::analyzer::symbolize_internal {

class DwarfFrames {
 public:
  explicit DwarfFrames(Dwfl_Module* module) : module_(module) {}

  // Appends the frames of `address` (in the Dwfl address space of the
  // module) to `frames`, innermost first, and returns true; returns false
  // and appends nothing when no DWARF covers the address. `function` is
  // empty where DWARF names no function (the caller falls back to the
  // symbol table); `module` is left for the caller to fill.
  bool Symbolize(uint64_t address, std::vector<SourceFrame>* frames);

 private:
  // The demangled or DWARF-qualified name of the function `die` stands for;
  // empty when DWARF has none. Cached per declaration, which every inlined
  // copy of a function shares.
  const std::string& FunctionName(Dwarf_Die* die);
  // The compile unit covering `address` and the DWARF bias of the module.
  bool FindUnit(uint64_t address, Dwarf_Die* unit, Dwarf_Addr* bias);
  // For modules without .debug_aranges (clang's default), where libdwfl's
  // own lookup finds nothing: address ranges of every unit, built once.
  void BuildUnitIndex();

  struct UnitRange {
    Dwarf_Addr low;
    Dwarf_Addr high;        // exclusive
    Dwarf_Addr max_high;    // max of `high` over this and all earlier ranges
    Dwarf_Off unit_offset;  // offset of the unit DIE
  };

  Dwfl_Module* module_;
  bool index_built_ = false;
  std::vector<UnitRange> unit_ranges_;  // sorted by `low`
  // Keyed by the declaration DIE (see FunctionName), by the address of its
  // bytes: unique across the module's files (main, separate debug, dwz)
  // while they are mapped.
  absl::flat_hash_map<const void*, std::string> function_names_;
  ScopeNames scope_names_;
  // Per unit, by the address of its DIE's bytes; built on first use.
  absl::flat_hash_map<const void*, std::unique_ptr<UnitFunctionIndex>>
      unit_indexes_;
};

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_DWARF_FRAMES_H_
