// StackTree: validation on the way in, so that walks never need checks.

#include "trace/stack_tree.h"

#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {

StackTree::StackTree() : nodes_(1) {}

absl::Status StackTree::Add(const StackNodesRecord& record) {
  if (record.first_id != nodes_.size()) {
    return absl::DataLossError(
        absl::StrFormat("stack nodes start at id %d, expected %d",
                        record.first_id, nodes_.size()));
  }
  for (const StackNode& node : record.nodes) {
    if (node.parent >= nodes_.size()) {
      return absl::DataLossError(absl::StrFormat("stack node %d has parent %d",
                                                 nodes_.size(), node.parent));
    }
    nodes_.push_back(node);
  }
  return absl::OkStatus();
}

std::vector<uint32_t> StackTree::Path(uint32_t id) const {
  std::vector<uint32_t> path;
  if (!Contains(id)) return path;
  while (id != 0) {
    path.push_back(id);
    id = nodes_[id].parent;
  }
  return path;
}

}  // namespace heaptrail::analyzer
