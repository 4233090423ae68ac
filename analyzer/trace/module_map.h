// The modules of the traced process over time. A module is mapped from its
// load epoch until its unload epoch (exclusive); an ip recorded in epoch E
// is resolved against the modules alive in E, which stays exact when a
// library is unloaded and another mapped at the same address.
//
// Thread-safety: not thread-safe (Find() builds its index lazily).

#ifndef HEAPTRAIL_ANALYZER_TRACE_MODULE_MAP_H_
#define HEAPTRAIL_ANALYZER_TRACE_MODULE_MAP_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

struct Module {
  static constexpr uint32_t kNeverUnloaded =
      std::numeric_limits<uint32_t>::max();

  uint64_t module_id = 0;  // as recorded
  uint32_t load_epoch = 0;
  uint32_t unload_epoch = kNeverUnloaded;
  ModuleInfo info;
};

class ModuleMap {
 public:
  absl::Status Load(ModuleLoadRecord& record);
  // Ends the module's life; an unknown module id is ignored, an unload
  // epoch before the load epoch is an error.
  absl::Status Unload(const ModuleUnloadRecord& record);

  // Index (in modules()) of the module alive in `epoch` with a segment that
  // contains `address`, if any.
  std::optional<size_t> Find(uint64_t address, uint32_t epoch);

  // Indices of the modules, alive in any epoch, with a segment that
  // contains `address`, in load order: e.g. the interpreter's, which holds
  // _PyRuntime, for a record that carries no epoch.
  std::vector<size_t> FindInAnyEpoch(uint64_t address) const;

  const std::vector<Module>& modules() const { return modules_; }

 private:
  struct Range {
    uint64_t begin;
    uint64_t end;
    uint32_t module;
  };
  void BuildIndex();

  std::vector<Module> modules_;
  // module_id -> index of its latest load.
  absl::flat_hash_map<uint64_t, uint32_t> index_of_id_;
  // Every segment of every module, sorted by begin, with the running maximum
  // of `end` so that a lookup can stop scanning backwards early.
  std::vector<Range> ranges_;
  std::vector<uint64_t> max_end_;
  bool index_valid_ = true;
  // The range of the last lookup: stacks' addresses come in runs of one
  // module. Modules alive in the same epoch never overlap, so a range that
  // contains the address and whose module is alive then is the answer.
  size_t last_range_ = 0;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_MODULE_MAP_H_
