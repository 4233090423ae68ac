// The analyzer's view of symbolization: the two calls it needs from the
// libdw Symbolizer (symbolize/symbolizer.h), behind an interface so that
// reports can be tested with a fake that needs no ELF files.
//
// Thread-safety: implementations are not thread-safe; distinct sources may
// be used on distinct threads once their modules are preloaded (Preload).

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_SOURCE_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "symbolize/symbolizer.h"

namespace heaptrail::analyzer {

class SymbolSource {
 public:
  virtual ~SymbolSource() = default;

  // Registers a module; returns the index to pass to Symbolize().
  virtual size_t AddModule(const ModuleInfo& module) = 0;

  // Loads module `module` ahead of its lookups (Symbolizer::Preload): must
  // be called on one thread for every module of every source that is then
  // used on its own thread. Sources that load nothing lazily ignore it.
  virtual void Preload(size_t /*module*/) {}

  // Source frames of `address` in module `module`, innermost (inlined) first;
  // never empty. The reference stays valid as long as the source lives.
  virtual const std::vector<SourceFrame>& Symbolize(size_t module,
                                                    uint64_t address,
                                                    bool is_return_address) = 0;
};

// The real thing: DWARF through elfutils libdw.
std::unique_ptr<SymbolSource> MakeDwarfSymbolSource(
    SymbolizerOptions options = {});

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_SOURCE_H_
