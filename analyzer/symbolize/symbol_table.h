// A module's ELF function symbols, sorted for address lookup.
//
// The fallback when DWARF has nothing for an address. libdwfl's own
// dwfl_module_addrinfo scans every symbol on every call, which for a large
// stripped binary costs milliseconds per address; this reads the table once
// (.symtab, else .dynsym, plus a MiniDebugInfo .gnu_debugdata table, as
// libdwfl chooses them) and answers with a binary search.
//
// Not thread-safe; one instance per module, owned by the symbolizer.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_TABLE_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_TABLE_H_

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"

namespace heaptrail::analyzer::symbolize_internal {

class SymbolTable {
 public:
  // Reads the function symbols of `module`.
  explicit SymbolTable(Dwfl_Module* module);

  // The demangled name of the function holding `address` (in the Dwfl
  // address space of the module); empty when no symbol covers it. A symbol
  // without a size covers everything up to the next symbol.
  const std::string& Lookup(uint64_t address);

 private:
  struct Symbol {
    uint64_t address;
    uint64_t size;
    int rank;              // binding preference among aliases; lower wins
    const char* raw_name;  // owned by libelf's mapping of the file
  };

  // Sorted by address, one per address; small and trivially copied, for
  // the sort of a large table (31k symbols for cc1plus).
  std::vector<Symbol> symbols_;
  // Demangled on first use, by symbol address; node_hash_map: Lookup()
  // hands out references.
  absl::node_hash_map<uint64_t, std::string> names_;
};

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_TABLE_H_
