// DWARF walk for one address; see dwarf_frames.h for the frame model.

#include "symbolize/dwarf_frames.h"

#include <dwarf.h>

#include <algorithm>
#include <memory>
#include <string>

#include "symbolize/demangle.h"
#include "symbolize/function_index.h"

namespace heaptrail::analyzer::symbolize_internal {
namespace {

struct Location {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

uint32_t ClampToU32(Dwarf_Word value) {
  return value > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(value);
}

bool IsItaniumMangled(const char* name) {
  return name[0] == '_' && name[1] == 'Z';
}

const char* StringAttr(Dwarf_Die* die, unsigned int name) {
  Dwarf_Attribute attr;
  // _integrate follows DW_AT_abstract_origin (inlined and out-of-line copies
  // of an inline function) and DW_AT_specification (members defined outside
  // their class), where the names actually live.
  return dwarf_formstring(dwarf_attr_integrate(die, name, &attr));
}

// The DIE that declares the function named by `die`: inlined and
// out-of-line copies point at their abstract instance (DW_AT_abstract_origin),
// which for a member defined outside its class points at the declaration in
// the class (DW_AT_specification). Its DIE parents are the enclosing scopes.
Dwarf_Die DeclarationOf(Dwarf_Die* die) {
  Dwarf_Die declaration = *die;
  // Bounded: a malformed file could make the references loop.
  for (int hops = 0; hops < 8; ++hops) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if ((dwarf_attr(&declaration, DW_AT_abstract_origin, &attr) == nullptr &&
         dwarf_attr(&declaration, DW_AT_specification, &attr) == nullptr) ||
        dwarf_formref_die(&attr, &next) == nullptr) {
      break;
    }
    declaration = next;
  }
  return declaration;
}

Location LineTableLocation(Dwarf_Die* unit, Dwarf_Addr pc) {
  Location location;
  Dwarf_Line* line = dwarf_getsrc_die(unit, pc);
  if (line == nullptr) return location;
  if (const char* file = dwarf_linesrc(line, nullptr, nullptr)) {
    location.file = file;
  }
  int lineno = 0;
  if (dwarf_lineno(line, &lineno) == 0 && lineno > 0) {
    location.line = static_cast<uint32_t>(lineno);
  }
  int column = 0;
  if (dwarf_linecol(line, &column) == 0 && column > 0) {
    location.column = static_cast<uint32_t>(column);
  }
  return location;
}

// Where the function that `inlined` was inlined into made the call.
Location CallSite(Dwarf_Die* inlined) {
  Location location;
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &value) ==
      0) {
    // The index is into the file table of the unit holding this DIE (for a
    // split unit, libdw resolves it through the skeleton's line table).
    Dwarf_Die unit;
    Dwarf_Files* files = nullptr;
    size_t file_count = 0;
    if (dwarf_diecu(inlined, &unit, nullptr, nullptr) != nullptr &&
        dwarf_getsrcfiles(&unit, &files, &file_count) == 0 &&
        value < file_count) {
      if (const char* file = dwarf_filesrc(files, value, nullptr, nullptr)) {
        location.file = file;
      }
    }
  }
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &value) ==
      0) {
    location.line = ClampToU32(value);
  }
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_column, &attr),
                      &value) == 0) {
    location.column = ClampToU32(value);
  }
  return location;
}

}  // namespace

const std::string& DwarfFrames::FunctionName(Dwarf_Die* die) {
  Dwarf_Die declaration = DeclarationOf(die);
  auto [it, inserted] = function_names_.try_emplace(declaration.addr);
  if (!inserted) return it->second;
  // A C++ linkage name demangled gives the qualified name with its
  // parameters ("ns::Foo(int)"); DW_AT_name alone would lose the namespace
  // and class. Any other linkage name is an asm label (glibc's
  // "__GI___libc_malloc" for __libc_malloc) or a mangling the demangler does
  // not know: the source's own name, qualified from the DIE tree, reads
  // better.
  const char* linkage = StringAttr(die, DW_AT_linkage_name);
  if (linkage == nullptr) linkage = StringAttr(die, DW_AT_MIPS_linkage_name);
  const char* name = StringAttr(die, DW_AT_name);
  if (linkage != nullptr && (name == nullptr || IsItaniumMangled(linkage))) {
    it->second = Demangle(linkage);
  } else if (name != nullptr) {
    it->second = scope_names_.Qualify(&declaration, name);
  }
  return it->second;
}

bool DwarfFrames::Symbolize(uint64_t address,
                            std::vector<SourceFrame>* frames) {
  Dwarf_Die unit;
  Dwarf_Addr bias = 0;
  if (!FindUnit(address, &unit, &bias)) return false;
  const Dwarf_Addr pc = address - bias;

  // With -gsplit-dwarf the unit found is a skeleton: the line table stays in
  // it, the function DIEs are in the split unit.
  Dwarf_Die scope_root = unit;
  uint8_t unit_type = 0;
  Dwarf_Die split_unit = {};
  if (dwarf_cu_info(unit.cu, nullptr, &unit_type, nullptr, &split_unit,
                    nullptr, nullptr, nullptr) == 0 &&
      unit_type == DW_UT_skeleton && split_unit.addr != nullptr) {
    scope_root = split_unit;
  }

  Location location = LineTableLocation(&unit, pc);
  std::unique_ptr<UnitFunctionIndex>& index = unit_indexes_[scope_root.addr];
  if (index == nullptr) {
    index = std::make_unique<UnitFunctionIndex>(&scope_root);
  }
  std::vector<Dwarf_Die> chain = index->Lookup(pc);
  const size_t first_frame = frames->size();
  for (Dwarf_Die& die : chain) {
    SourceFrame& frame = frames->emplace_back();
    frame.function = FunctionName(&die);
    frame.file = std::move(location.file);
    frame.line = location.line;
    frame.column = location.column;
    // Every DIE but the last (the real function) is an inlined call.
    frame.inlined = &die != &chain.back();
    if (frame.inlined) location = CallSite(&die);
  }
  if (frames->size() == first_frame) {
    // Code with a line table but no function DIE (assembly, or gaps).
    if (location.file.empty() && location.line == 0) return false;
    SourceFrame& frame = frames->emplace_back();
    frame.file = std::move(location.file);
    frame.line = location.line;
    frame.column = location.column;
  }
  return true;
}

bool DwarfFrames::FindUnit(uint64_t address, Dwarf_Die* unit,
                           Dwarf_Addr* bias) {
  if (Dwarf_Die* found = dwfl_module_addrdie(module_, address, bias)) {
    *unit = *found;
    return true;
  }
  Dwarf* dwarf = dwfl_module_getdwarf(module_, bias);
  if (dwarf == nullptr) return false;
  if (!index_built_) BuildUnitIndex();
  const Dwarf_Addr pc = address - *bias;
  auto it = std::upper_bound(
      unit_ranges_.begin(), unit_ranges_.end(), pc,
      [](Dwarf_Addr value, const UnitRange& range) { return value < range.low; });
  // Walk back over the ranges starting at or before pc; max_high says when
  // no earlier range can reach it any more.
  while (it != unit_ranges_.begin()) {
    --it;
    if (it->max_high <= pc) break;
    if (pc < it->high) return dwarf_offdie(dwarf, it->unit_offset, unit);
  }
  return false;
}

void DwarfFrames::BuildUnitIndex() {
  index_built_ = true;
  Dwarf_Addr bias = 0;
  Dwarf* dwarf = dwfl_module_getdwarf(module_, &bias);
  if (dwarf == nullptr) return;
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  uint8_t unit_type = 0;
  Dwarf_Die unit;
  while (dwarf_get_units(dwarf, cu, &next, &version, &unit_type, &unit,
                         nullptr) == 0) {
    cu = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_skeleton &&
        unit_type != DW_UT_partial) {
      continue;  // type units hold no code
    }
    Dwarf_Addr base = 0;
    Dwarf_Addr low = 0;
    Dwarf_Addr high = 0;
    ptrdiff_t offset = 0;
    while ((offset = dwarf_ranges(&unit, offset, &base, &low, &high)) > 0) {
      if (low < high) {
        unit_ranges_.push_back({low, high, 0, dwarf_dieoffset(&unit)});
      }
    }
  }
  std::sort(unit_ranges_.begin(), unit_ranges_.end(),
            [](const UnitRange& a, const UnitRange& b) { return a.low < b.low; });
  Dwarf_Addr max_high = 0;
  for (UnitRange& range : unit_ranges_) {
    max_high = std::max(max_high, range.high);
    range.max_high = max_high;
  }
}

}  // namespace heaptrail::analyzer::symbolize_internal
