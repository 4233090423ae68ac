// FlameTree: a vector of nodes with per-node child maps; pruning happens
// only when the JSON is written.

#include "html/flame_tree.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "export/user_frames.h"

namespace heaptrail::analyzer {

uint32_t FrameTable::Intern(const SourceFrame& frame) {
  std::string key = absl::StrCat(frame.function, "\n", frame.file, "\n",
                                 frame.line, "\n", frame.module);
  auto [it, inserted] = index_.try_emplace(std::move(key), json_.size());
  if (inserted) {
    json_.push_back({frame.function.empty() ? "[unknown]" : frame.function,
                     frame.file, frame.line, frame.module});
  }
  return it->second;
}

void FlameTree::Add(std::span<const uint32_t> frames_outermost_first,
                    uint64_t value, uint64_t count) {
  uint32_t node = 0;
  nodes_[0].value += value;
  nodes_[0].count += count;
  for (uint32_t frame : frames_outermost_first) {
    auto [it, inserted] = nodes_[node].children.try_emplace(frame, 0);
    if (inserted) {
      it->second = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back().frame = frame;
    }
    node = it->second;  // nodes_ may have moved: index, never reference
    nodes_[node].value += value;
    nodes_[node].count += count;
  }
}

nlohmann::json FlameTree::NodeJson(uint32_t index, uint64_t min_value) const {
  const Node& node = nodes_[index];
  std::vector<uint32_t> children;
  for (const auto& [frame, child] : node.children) children.push_back(child);
  std::sort(children.begin(), children.end(), [this](uint32_t a, uint32_t b) {
    if (nodes_[a].value != nodes_[b].value)
      return nodes_[a].value > nodes_[b].value;
    return nodes_[a].frame < nodes_[b].frame;
  });
  nlohmann::json kids = nlohmann::json::array();
  uint64_t small_value = 0;
  uint64_t small_nodes = 0;
  for (uint32_t child : children) {
    if (nodes_[child].value == 0) continue;
    if (nodes_[child].value < min_value) {
      small_value += nodes_[child].value;
      ++small_nodes;
    } else {
      kids.push_back(NodeJson(child, min_value));
    }
  }
  if (small_nodes > 0) {
    kids.push_back({-2, small_value, small_nodes, nlohmann::json::array()});
  }
  return {node.frame, node.value, node.count, std::move(kids)};
}

nlohmann::json FlameTree::ToJson(double min_fraction) const {
  const auto min_value = static_cast<uint64_t>(
      static_cast<double>(nodes_[0].value) * min_fraction);
  return NodeJson(0, std::max<uint64_t>(min_value, 1));
}

FlameTree BuildFlameTree(std::span<const StackValue> values,
                         const StackTree& tree, StackSymbolizer& symbolizer,
                         FrameTable& frames) {
  FlameTree flame;
  std::vector<uint32_t> path;
  for (const StackValue& value : values) {
    if (value.bytes == 0 && value.blocks == 0) continue;
    path.clear();
    const std::vector<UserFrame> user =
        UserFrames(value.stack_id, tree, symbolizer);
    for (auto it = user.rbegin(); it != user.rend(); ++it) {
      path.push_back(frames.Intern(*it->frame));
    }
    flame.Add(path, value.bytes, value.blocks);
  }
  return flame;
}

}  // namespace heaptrail::analyzer
