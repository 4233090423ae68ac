// StackSymbolizer: node -> module (by epoch) -> SymbolSource frames, or
// node -> Python code table for a Python frame.

#include "symbolize/stack_symbolizer.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::analyzer {

StackSymbolizer::StackSymbolizer(
    const StackTree& tree, ModuleMap& modules, const PythonCodeTable& python,
    SymbolSource& symbols, SourceFactory factory,
    absl::flat_hash_map<size_t, size_t> loaded_modules)
    : tree_(tree),
      modules_(modules),
      python_(python),
      python_frames_(python, modules),
      symbols_(symbols),
      source_index_(std::move(loaded_modules)),
      factory_(std::move(factory)) {}

void StackSymbolizer::Prefetch(std::span<const uint32_t> stack_ids,
                               unsigned threads, size_t depth) {
  if (!factory_ || threads < 2) return;
  // The nodes not symbolized yet, by module. A node's ancestors are seen
  // with it, so a walk stops at the first node already seen or cached.
  absl::flat_hash_map<size_t, std::vector<uint32_t>> nodes_of_module;
  absl::flat_hash_set<uint32_t> seen;
  size_t total = 0;
  for (uint32_t stack_id : stack_ids) {
    if (!tree_.Contains(stack_id)) continue;
    size_t walked = 0;
    for (uint32_t id = stack_id; id != 0 && walked++ < depth;
         id = tree_.node(id).parent) {
      if (FramesSlot(id) != nullptr || !seen.insert(id).second) break;
      const StackNode& n = tree_.node(id);
      if (format::IsPythonFrameIp(n.ip)) continue;  // no module to load
      const std::optional<size_t> module =
          modules_.Find(n.ip > 0 ? n.ip - 1 : 0, n.epoch);
      // On demand: no symbolizer needed, or the main one has the module.
      if (!module.has_value() || source_index_.contains(*module)) continue;
      nodes_of_module[*module].push_back(id);
      ++total;
    }
  }
  if (total < kMinPrefetchNodes) return;  // threads would cost more

  // Work items of at most ~total/threads nodes: a large module (cc1plus,
  // python3) is cut into runs of neighbouring addresses, which mostly fall
  // in distinct compile units, each run symbolized by its own Dwfl.
  struct Work {
    size_t module;
    std::vector<uint32_t> nodes;
    std::vector<const std::vector<SourceFrame>*> frames;  // per node
  };
  const size_t piece =
      std::max<size_t>((total + threads - 1) / threads, kMinPrefetchNodes / 2);
  std::vector<Work> work;
  for (auto& [module, nodes] : nodes_of_module) {
    if (nodes.size() > piece) {
      // Partitioned, not sorted: each run holds the next `piece` addresses,
      // in any order (millions of nodes for a deep recursive program).
      std::vector<std::pair<uint64_t, uint32_t>> by_ip;  // (ip, node)
      by_ip.reserve(nodes.size());
      for (uint32_t id : nodes) by_ip.emplace_back(tree_.node(id).ip, id);
      for (size_t first = piece; first < by_ip.size(); first += piece) {
        std::nth_element(by_ip.begin() + (first - piece), by_ip.begin() + first,
                         by_ip.end());
      }
      for (size_t i = 0; i < nodes.size(); ++i) nodes[i] = by_ip[i].second;
    }
    for (size_t first = 0; first < nodes.size(); first += piece) {
      const size_t last = std::min(nodes.size(), first + piece);
      work.push_back(Work{
          module,
          std::vector<uint32_t>(nodes.begin() + first, nodes.begin() + last),
          {}});
    }
  }
  // Largest items first, each to the least loaded thread.
  std::sort(work.begin(), work.end(), [](const Work& a, const Work& b) {
    if (a.nodes.size() != b.nodes.size())
      return a.nodes.size() > b.nodes.size();
    return a.module != b.module ? a.module < b.module
                                : a.nodes.front() < b.nodes.front();
  });
  const size_t thread_count = std::min<size_t>(threads, work.size());
  if (thread_count < 2) return;
  std::vector<std::vector<Work*>> assigned(thread_count);
  std::vector<size_t> load(thread_count, 0);
  for (Work& item : work) {
    const size_t least = static_cast<size_t>(
        std::min_element(load.begin(), load.end()) - load.begin());
    assigned[least].push_back(&item);
    load[least] += item.nodes.size();
  }

  // Every thread's source opens its modules here, on this thread: opening
  // writes libelf's global state, which the loading and lookups on the
  // threads only read.
  std::vector<SymbolSource*> sources;
  std::vector<absl::flat_hash_map<size_t, size_t>> index_of_module(
      thread_count);
  for (size_t i = 0; i < thread_count; ++i) {
    prefetch_sources_.push_back(factory_());
    sources.push_back(prefetch_sources_.back().get());
    for (const Work* item : assigned[i]) {
      auto [it, inserted] = index_of_module[i].try_emplace(item->module, 0);
      if (!inserted) continue;
      it->second = sources[i]->AddModule(modules_.modules()[item->module].info);
      sources[i]->Preload(it->second);
    }
  }
  std::vector<std::thread> workers;
  for (size_t i = 0; i < thread_count; ++i) {
    workers.emplace_back([this, &assigned, &index_of_module, &sources, i] {
      for (Work* item : assigned[i]) {
        const size_t index = index_of_module[i].at(item->module);
        for (uint32_t id : item->nodes) {
          item->frames.push_back(&sources[i]->Symbolize(
              index, tree_.node(id).ip, /*is_return_address=*/true));
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();

  for (const Work& item : work) {
    for (size_t i = 0; i < item.nodes.size(); ++i) {
      const std::vector<SourceFrame>* frames = item.frames[i];
      if (frames->empty()) continue;  // NodeFrames() names it by address
      FramesSlot(item.nodes[i]) = frames;
    }
  }
}

const std::vector<SourceFrame>& StackSymbolizer::Own(SourceFrame frame) {
  owned_.emplace_back();
  owned_.back().push_back(std::move(frame));
  return owned_.back();
}

const std::vector<SourceFrame>& StackSymbolizer::PythonNodeFrames(
    const StackNode& node) {
  auto [it, inserted] =
      python_ip_frames_.try_emplace(std::pair(node.ip, node.epoch), nullptr);
  if (inserted) it->second = &Own(python_frames_.Frame(node.ip, node.epoch));
  return *it->second;
}

bool StackSymbolizer::HasPythonFrames(uint32_t stack_id) {
  if (python_.interpreter() == nullptr || !tree_.Contains(stack_id)) {
    return false;
  }
  // One pass over the nodes added since the last call: parents come first.
  for (auto id = static_cast<uint32_t>(python_in_stack_.size());
       id < tree_.size(); ++id) {
    const StackNode& n = tree_.node(id);
    python_in_stack_.push_back(id != 0 && (format::IsPythonFrameIp(n.ip) ||
                                           python_in_stack_[n.parent] != 0));
  }
  return python_in_stack_[stack_id] != 0;
}

const std::vector<SourceFrame>& StackSymbolizer::NodeFrames(uint32_t node) {
  const std::vector<SourceFrame>*& cached = FramesSlot(node);
  if (cached != nullptr) return *cached;

  const StackNode& n = tree_.node(node);
  if (format::IsPythonFrameIp(n.ip)) {
    cached = &PythonNodeFrames(n);
    return *cached;
  }
  // A return address may sit just past the end of its function's segment
  // (a call as the last instruction): look up the call itself.
  const uint64_t call_address = n.ip > 0 ? n.ip - 1 : 0;
  const std::optional<size_t> module = modules_.Find(call_address, n.epoch);
  const std::vector<SourceFrame>* frames;
  if (!module.has_value()) {
    SourceFrame frame;
    frame.function = absl::StrCat("0x", absl::Hex(n.ip));
    frames = &Own(std::move(frame));
  } else {
    auto [it, inserted] = source_index_.try_emplace(*module, 0);
    if (inserted) {
      it->second = symbols_.AddModule(modules_.modules()[*module].info);
    }
    frames = &symbols_.Symbolize(it->second, n.ip, /*is_return_address=*/true);
    if (frames->empty()) {  // the contract says never, but be safe
      SourceFrame frame;
      frame.function = absl::StrCat("0x", absl::Hex(n.ip));
      frame.module = modules_.modules()[*module].info.path;
      frames = &Own(std::move(frame));
    }
  }
  cached = frames;
  return *frames;
}

std::vector<const SourceFrame*> StackSymbolizer::Frames(uint32_t stack_id) {
  std::vector<const SourceFrame*> result;
  if (!tree_.Contains(stack_id)) {
    // The trace never defined it (cut short before its kStackNodes).
    auto [it, inserted] = unknown_stacks_.try_emplace(stack_id, nullptr);
    if (inserted) {
      SourceFrame frame;
      frame.function = absl::StrCat("<unknown stack ", stack_id, ">");
      it->second = &Own(std::move(frame));
    }
    result.push_back(&it->second->front());
    return result;
  }
  for (uint32_t id = stack_id; id != 0; id = tree_.node(id).parent) {
    for (const SourceFrame& frame : NodeFrames(id)) result.push_back(&frame);
  }
  return result;
}

}  // namespace heaptrail::analyzer
