// SymbolWarmer: a queue of modules to load and one worker that loads them
// into the SymbolSource.

#include "symbolize/symbol_warmer.h"

#include <optional>
#include <utility>

#include "heaptrail/trace_format.h"

namespace heaptrail::analyzer {

SymbolWarmer::SymbolWarmer(SymbolSource& symbols)
    : symbols_(symbols), worker_([this] { Work(); }) {}

SymbolWarmer::~SymbolWarmer() { Stop(); }

void SymbolWarmer::Add(const StackNodesRecord& record, ModuleMap& modules) {
  std::vector<Item> items;
  for (const StackNode& node : record.nodes) Consider(node, modules, items);
  Enqueue(items);
}

void SymbolWarmer::ModulesLoaded(ModuleMap& modules) {
  if (unresolved_.empty()) return;
  std::vector<StackNode> retry;
  retry.swap(unresolved_);
  std::vector<Item> items;
  for (const StackNode& node : retry) Consider(node, modules, items);
  Enqueue(items);
}

void SymbolWarmer::Consider(const StackNode& node, ModuleMap& modules,
                            std::vector<Item>& items) {
  // A Python frame is no address: it lies in no module, now or later.
  if (format::IsPythonFrameIp(node.ip)) return;
  // As StackSymbolizer resolves it: the return address minus one lies in
  // the call instruction.
  const std::optional<size_t> module =
      modules.Find(node.ip > 0 ? node.ip - 1 : 0, node.epoch);
  if (!module.has_value()) {
    // Kept for a later module load, up to a bound: code outside every
    // module (JIT) would otherwise be kept and scanned again forever.
    if (unresolved_.size() < kMaxUnresolved) {
      unresolved_.push_back(node);
    } else {
      dropped_unresolved_ = true;
    }
    return;
  }
  if (*module == last_module_) return;
  last_module_ = *module;
  if (queued_modules_.insert(*module).second) {
    items.push_back(Item{*module, node.ip, modules.modules()[*module].info});
  }
}

void SymbolWarmer::Enqueue(std::vector<Item>& items) {
  if (items.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  for (Item& item : items) queue_.push_back(std::move(item));
  changed_.notify_all();
}

absl::flat_hash_map<size_t, size_t> SymbolWarmer::Stop() {
  if (worker_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      changed_.notify_all();
    }
    worker_.join();
  }
  return source_index_;
}

bool SymbolWarmer::LoadedEveryModuleSeen() const {
  return !worker_.joinable() && !dropped_unresolved_ &&
         source_index_.size() == queued_modules_.size();
}

void SymbolWarmer::Work() {
  std::vector<Item> batch;
  size_t next = 0;
  while (true) {
    if (next == batch.size()) {
      batch.clear();
      next = 0;
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (stopping_) break;
      batch.swap(queue_);
    }
    const Item& item = batch[next++];
    const size_t index = symbols_.AddModule(item.info);
    source_index_[item.module] = index;
    symbols_.Symbolize(index, item.ip, /*is_return_address=*/true);
    // Checked between modules: Stop() waits for one, not a batch.
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) break;
  }
}

}  // namespace heaptrail::analyzer
