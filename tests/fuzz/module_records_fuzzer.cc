// Fuzzes the module records on their own: the input is a chunk's records,
// decoded; module loads and unloads go into a ModuleMap, which is then
// asked about every segment boundary it knows (and one byte around each),
// in every epoch seen.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "trace/module_map.h"
#include "trace/record_decoder.h"

namespace {

using heaptrail::analyzer::ModuleLoadRecord;
using heaptrail::analyzer::ModuleMap;
using heaptrail::analyzer::ModuleUnloadRecord;

class ModuleSink : public heaptrail::analyzer::RecordSink {
 public:
  absl::Status OnModuleLoad(ModuleLoadRecord& record) override {
    epochs_.push_back(record.epoch);
    return modules_.Load(record);
  }
  absl::Status OnModuleUnload(const ModuleUnloadRecord& record) override {
    epochs_.push_back(record.epoch);
    return modules_.Unload(record);
  }

  void Probe() {
    std::vector<uint64_t> addresses;
    for (const auto& module : modules_.modules()) {
      for (const auto& segment : module.info.segments) {
        uint64_t begin = module.info.load_bias + segment.vaddr;
        for (uint64_t address : {begin - 1, begin, begin + segment.memsz - 1,
                                 begin + segment.memsz}) {
          addresses.push_back(address);
        }
      }
    }
    for (uint32_t epoch : epochs_) {
      for (uint64_t address : addresses) (void)modules_.Find(address, epoch);
    }
  }

 private:
  ModuleMap modules_;
  std::vector<uint32_t> epochs_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;  // Probe() is quadratic
  heaptrail::analyzer::RecordDecoder decoder;
  ModuleSink sink;
  (void)decoder.DecodeChunk(std::span<const uint8_t>(data, size), sink);
  sink.Probe();
  return 0;
}
