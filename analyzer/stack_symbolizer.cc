// StackSymbolizer: node -> module (by epoch) -> SymbolSource frames.

#include "stack_symbolizer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace heaptrail::analyzer {

StackSymbolizer::StackSymbolizer(const StackTree& tree, ModuleMap& modules,
                                 SymbolSource& symbols)
    : tree_(tree), modules_(modules), symbols_(symbols) {}

const std::vector<SourceFrame>& StackSymbolizer::Own(SourceFrame frame) {
  owned_.emplace_back();
  owned_.back().push_back(std::move(frame));
  return owned_.back();
}

const std::vector<SourceFrame>& StackSymbolizer::NodeFrames(uint32_t node) {
  const auto cached = node_frames_.find(node);
  if (cached != node_frames_.end()) return *cached->second;

  const StackNode& n = tree_.node(node);
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
  node_frames_.emplace(node, frames);
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
