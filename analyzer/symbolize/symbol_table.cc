// Sorted function symbols; see symbol_table.h.

#include "symbolize/symbol_table.h"

#include <gelf.h>

#include <algorithm>

#include "symbolize/demangle.h"

namespace heaptrail::analyzer::symbolize_internal {
namespace {

// Among aliases at one address, the name a user calls: global, then weak,
// then local (malloc rather than __libc_malloc where both are exported).
int BindingRank(unsigned char binding) {
  switch (binding) {
    case STB_GLOBAL:
      return 0;
    case STB_WEAK:
      return 1;
    default:
      return 2;
  }
}

}  // namespace

SymbolTable::SymbolTable(Dwfl_Module* module) {
  const int count = dwfl_module_getsymtab(module);
  for (int i = 1; i < count; ++i) {  // entry 0 is the null symbol
    GElf_Sym symbol;
    GElf_Addr address = 0;
    GElf_Word section = 0;
    const char* name = dwfl_module_getsym_info(module, i, &symbol, &address,
                                               &section, nullptr, nullptr);
    // An unnamed symbol is known by its string offset: reading the name
    // itself would fault in the string table's pages, scattered in symbol
    // order, for every symbol (two thirds of this constructor's samples on
    // cc1plus); only the names looked up are read.
    if (name == nullptr || symbol.st_name == 0) continue;
    const int type = GELF_ST_TYPE(symbol.st_info);
    if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
    if (section == SHN_UNDEF || address == 0) continue;  // imports
    symbols_.push_back({address, symbol.st_size,
                        BindingRank(GELF_ST_BIND(symbol.st_info)), name});
  }
  std::sort(symbols_.begin(), symbols_.end(),
            [](const Symbol& a, const Symbol& b) {
              if (a.address != b.address) return a.address < b.address;
              if (a.rank != b.rank) return a.rank < b.rank;
              return a.size > b.size;
            });
  symbols_.erase(std::unique(symbols_.begin(), symbols_.end(),
                             [](const Symbol& a, const Symbol& b) {
                               return a.address == b.address;
                             }),
                 symbols_.end());
}

const std::string& SymbolTable::Lookup(uint64_t address) {
  static const std::string* const kNone = new std::string();
  auto it = std::upper_bound(
      symbols_.begin(), symbols_.end(), address,
      [](uint64_t value, const Symbol& symbol) { return value < symbol.address; });
  if (it == symbols_.begin()) return *kNone;
  --it;
  if (it->size != 0 && address - it->address >= it->size) return *kNone;
  auto [named, inserted] = names_.try_emplace(it->address);
  if (inserted) named->second = Demangle(it->raw_name);
  return named->second;
}

}  // namespace heaptrail::analyzer::symbolize_internal
