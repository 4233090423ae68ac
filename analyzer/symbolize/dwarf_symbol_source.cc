// SymbolSource over the libdw Symbolizer: a pass-through, kept in its own
// file so that it is the only place that links against heaptrail_symbolize.

#include <utility>

#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {
namespace {

class DwarfSymbolSource : public SymbolSource {
 public:
  explicit DwarfSymbolSource(SymbolizerOptions options)
      : symbolizer_(std::move(options)) {}

  size_t AddModule(const ModuleInfo& module) override {
    return symbolizer_.AddModule(module);
  }

  void Preload(size_t module) override { symbolizer_.Preload(module); }

  const std::vector<SourceFrame>& Symbolize(size_t module, uint64_t address,
                                            bool is_return_address) override {
    return symbolizer_.Symbolize(module, address, is_return_address);
  }

 private:
  Symbolizer symbolizer_;
};

}  // namespace

std::unique_ptr<SymbolSource> MakeDwarfSymbolSource(SymbolizerOptions options) {
  return std::make_unique<DwarfSymbolSource>(std::move(options));
}

}  // namespace heaptrail::analyzer
