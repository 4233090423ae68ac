// SymbolWarmer: a queue of (module, address) and one worker that drains it
// into the SymbolSource's cache.

#include "symbol_warmer.h"

#include <utility>

namespace heaptrail::analyzer {

SymbolWarmer::SymbolWarmer(SymbolSource& symbols)
    : symbols_(symbols), worker_([this] { Work(); }) {}

SymbolWarmer::~SymbolWarmer() { Stop(); }

void SymbolWarmer::Add(const StackNodesRecord& record, ModuleMap& modules) {
  unresolved_.insert(unresolved_.end(), record.nodes.begin(),
                     record.nodes.end());
  Resolve(modules);
}

void SymbolWarmer::ModulesLoaded(ModuleMap& modules) {
  if (!unresolved_.empty()) Resolve(modules);
}

void SymbolWarmer::Resolve(ModuleMap& modules) {
  std::vector<Item> items;
  size_t kept = 0;
  for (const StackNode& node : unresolved_) {
    // As StackSymbolizer resolves it: the return address minus one lies in
    // the call instruction.
    const std::optional<size_t> module =
        modules.Find(node.ip > 0 ? node.ip - 1 : 0, node.epoch);
    if (!module.has_value()) {
      unresolved_[kept++] = node;
      continue;
    }
    Item item{*module, node.ip, std::nullopt};
    if (queued_modules_.try_emplace(*module, true).second) {
      item.first_use = modules.modules()[*module].info;
    }
    items.push_back(std::move(item));
  }
  unresolved_.resize(kept);
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
    Item& item = batch[next++];
    if (item.first_use.has_value()) {
      source_index_[item.module] = symbols_.AddModule(*item.first_use);
    }
    symbols_.Symbolize(source_index_.at(item.module), item.ip,
                       /*is_return_address=*/true);
    // Checked between addresses: Stop() waits for one lookup, not a batch.
    if (next % 64 == 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
    }
  }
}

}  // namespace heaptrail::analyzer
