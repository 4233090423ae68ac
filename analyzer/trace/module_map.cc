// ModuleMap: a sorted segment index, rebuilt lazily after loads.

#include "trace/module_map.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {

absl::Status ModuleMap::Load(ModuleLoadRecord& record) {
  const auto index = static_cast<uint32_t>(modules_.size());
  Module module;
  module.module_id = record.module_id;
  module.load_epoch = record.epoch;
  module.info = std::move(record.info);
  modules_.push_back(std::move(module));
  index_of_id_[record.module_id] = index;
  index_valid_ = false;
  return absl::OkStatus();
}

absl::Status ModuleMap::Unload(const ModuleUnloadRecord& record) {
  const auto it = index_of_id_.find(record.module_id);
  // Nothing resolves against a module that was never announced: forgetting
  // it costs nothing, while failing would lose the whole report.
  if (it == index_of_id_.end()) return absl::OkStatus();
  Module& module = modules_[it->second];
  if (record.epoch < module.load_epoch) {
    return absl::DataLossError(absl::StrFormat(
        "module %d unloaded in epoch %d before its load in epoch %d",
        record.module_id, record.epoch, module.load_epoch));
  }
  module.unload_epoch = std::min(module.unload_epoch, record.epoch);
  return absl::OkStatus();
}

void ModuleMap::BuildIndex() {
  ranges_.clear();
  for (uint32_t i = 0; i < modules_.size(); ++i) {
    const ModuleInfo& info = modules_[i].info;
    for (const Segment& segment : info.segments) {
      const uint64_t begin = info.load_bias + segment.vaddr;
      const uint64_t end = begin + segment.memsz;
      if (segment.memsz == 0 || end < begin) continue;  // empty or wrapping
      ranges_.push_back(Range{begin, end, i});
    }
  }
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  max_end_.resize(ranges_.size());
  uint64_t max_end = 0;
  for (size_t i = 0; i < ranges_.size(); ++i) {
    max_end = std::max(max_end, ranges_[i].end);
    max_end_[i] = max_end;
  }
  index_valid_ = true;
}

std::optional<size_t> ModuleMap::Find(uint64_t address, uint32_t epoch) {
  if (!index_valid_) BuildIndex();
  auto alive = [&](const Range& range) {
    const Module& module = modules_[range.module];
    return module.load_epoch <= epoch && epoch < module.unload_epoch;
  };
  if (last_range_ < ranges_.size()) {
    const Range& last = ranges_[last_range_];
    if (address >= last.begin && address < last.end && alive(last)) {
      return last.module;
    }
  }
  // The last range starting at or before the address, then backwards while
  // some earlier range could still reach it.
  auto it = std::upper_bound(
      ranges_.begin(), ranges_.end(), address,
      [](uint64_t a, const Range& range) { return a < range.begin; });
  for (size_t i = static_cast<size_t>(it - ranges_.begin()); i > 0; --i) {
    if (max_end_[i - 1] <= address) break;
    const Range& range = ranges_[i - 1];
    if (address >= range.end) continue;
    if (alive(range)) {
      last_range_ = i - 1;
      return range.module;
    }
  }
  return std::nullopt;
}

std::vector<size_t> ModuleMap::FindInAnyEpoch(uint64_t address) const {
  // A scan, not the index: called once per trace, not per address.
  std::vector<size_t> found;
  for (size_t i = 0; i < modules_.size(); ++i) {
    const ModuleInfo& info = modules_[i].info;
    for (const Segment& segment : info.segments) {
      const uint64_t begin = info.load_bias + segment.vaddr;
      if (address >= begin && address - begin < segment.memsz) {
        found.push_back(i);
        break;
      }
    }
  }
  return found;
}

}  // namespace heaptrail::analyzer
