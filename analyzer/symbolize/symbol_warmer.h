// Loads the debug info of the modules the stacks use on a thread of its
// own while the trace is still being read, so that libdw's fixed cost per
// module (opening it, finding separate debug info, decompressing and
// indexing DWARF) overlaps with the heap replay instead of following it: on
// a report of 12.5M events that cost was a seventh of the time, all of it
// after the replay (libc's compressed debug sections).
//
// The decoding thread hands over each stack-node record (Add); the warmer
// resolves the nodes' modules there (the module map belongs to that thread)
// and, for each module seen for the first time, queues one of its
// addresses. A node whose module is not known yet (the writer sends a
// round's stack nodes before its module records) is tried again when
// modules are loaded (ModulesLoaded), up to kMaxUnresolved such nodes. The
// worker registers each module with the SymbolSource and symbolizes that
// address, which loads the module. Other addresses are left to the
// symbolizer: resolving every node ahead would keep frames a report may not
// need (twice the peak memory on a cc1plus trace, measured). Stop()
// abandons what is still queued and hands back which modules the source
// holds, for StackSymbolizer to use.
//
// Thread-safety: Add(), ModulesLoaded() and Stop() on one thread; the
// SymbolSource belongs to the worker until Stop() returned.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_WARMER_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_WARMER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "symbolize/symbol_source.h"
#include "trace/module_map.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

class SymbolWarmer {
 public:
  explicit SymbolWarmer(SymbolSource& symbols);
  // Stops (see Stop()).
  ~SymbolWarmer();
  SymbolWarmer(const SymbolWarmer&) = delete;
  SymbolWarmer& operator=(const SymbolWarmer&) = delete;

  // Queues the nodes of `record` that lie in a module of `modules`.
  void Add(const StackNodesRecord& record, ModuleMap& modules);
  // Queues the nodes that lie in modules loaded since.
  void ModulesLoaded(ModuleMap& modules);

  // Stops the worker after the address it is on; returns module map index ->
  // SymbolSource index for every module the source holds.
  absl::flat_hash_map<size_t, size_t> Stop();
  // After Stop(): true when the source holds every module that a stack
  // node added lies in (none abandoned, none missed): then nothing is left
  // for StackSymbolizer::Prefetch() to load.
  bool LoadedEveryModuleSeen() const;

 private:
  struct Item {
    size_t module;  // module map index
    uint64_t ip;    // one of its addresses
    ModuleInfo info;
  };

  // Queues the module of `node` if it is new, or keeps the node for later.
  void Consider(const StackNode& node, ModuleMap& modules,
                std::vector<Item>& items);
  void Enqueue(std::vector<Item>& items);
  void Work();

  SymbolSource& symbols_;
  absl::flat_hash_map<size_t, size_t> source_index_;  // the worker's
  static constexpr size_t kMaxUnresolved = 4096;
  // The caller's: modules seen, and nodes not in any module yet.
  absl::flat_hash_set<size_t> queued_modules_;
  // The module of the last node considered: most nodes share it, and skip
  // the set.
  size_t last_module_ = SIZE_MAX;
  std::vector<StackNode> unresolved_;
  bool dropped_unresolved_ = false;  // past kMaxUnresolved

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Item> queue_;  // guarded by mutex_
  bool stopping_ = false;    // guarded by mutex_
  std::thread worker_;       // last: starts after the rest
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_SYMBOL_WARMER_H_
