// A SymbolSource for tests: frames are given per (module path, address), so
// reports can be checked without ELF files or DWARF.

#ifndef HEAPTRAIL_TESTS_UNIT_ANALYZER_FAKE_SYMBOL_SOURCE_H_
#define HEAPTRAIL_TESTS_UNIT_ANALYZER_FAKE_SYMBOL_SOURCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer::testing {

class FakeSymbolSource : public SymbolSource {
 public:
  // Frames returned for `address` in the module at `path` (innermost first).
  void Set(const std::string& path, uint64_t address,
           std::vector<SourceFrame> frames) {
    frames_[{path, address}] = std::move(frames);
  }

  size_t AddModule(const ModuleInfo& module) override {
    modules_.push_back(module);
    return modules_.size() - 1;
  }

  void Preload(size_t module) override { preloaded.push_back(module); }

  const std::vector<SourceFrame>& Symbolize(size_t module, uint64_t address,
                                            bool is_return_address) override {
    ++calls;
    last_was_return_address = is_return_address;
    const std::string& path = modules_.at(module).path;
    auto it = frames_.find({path, address});
    if (it == frames_.end()) {
      SourceFrame frame;
      frame.function = absl::StrCat(path, "+0x", absl::Hex(address));
      frame.module = path;
      it = frames_
               .emplace(std::make_pair(path, address),
                        std::vector<SourceFrame>{frame})
               .first;
    }
    return it->second;
  }

  int calls = 0;
  std::vector<size_t> preloaded;  // module indexes, in Preload() order
  bool last_was_return_address = false;
  std::vector<ModuleInfo> modules_;

 private:
  std::map<std::pair<std::string, uint64_t>, std::vector<SourceFrame>> frames_;
};

inline SourceFrame Frame(std::string function, std::string file, uint32_t line,
                         std::string module, bool inlined = false) {
  SourceFrame frame;
  frame.function = std::move(function);
  frame.file = std::move(file);
  frame.line = line;
  frame.module = std::move(module);
  frame.inlined = inlined;
  return frame;
}

}  // namespace heaptrail::analyzer::testing

#endif  // HEAPTRAIL_TESTS_UNIT_ANALYZER_FAKE_SYMBOL_SOURCE_H_
