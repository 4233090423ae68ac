// StackTree: validation on the way in, so that walks never need checks.

#include "trace/stack_tree.h"

#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {

StackTree::StackTree() { Append(StackNode{}); }

void StackTree::Append(const StackNode& node) {
  if ((size_ & kBlockMask) == 0) {
    // Made whole (StackNode's members have initializers): at most one
    // block more than the nodes need is touched.
    blocks_.push_back(std::make_unique<StackNode[]>(kBlockSize));
  }
  blocks_.back()[size_ & kBlockMask] = node;
  ++size_;
}

absl::Status StackTree::Add(const StackNodesRecord& record) {
  if (record.first_id != size_) {
    return absl::DataLossError(absl::StrFormat(
        "stack nodes start at id %d, expected %d", record.first_id, size_));
  }
  for (const StackNode& node : record.nodes) {
    if (node.parent >= size_) {
      return absl::DataLossError(absl::StrFormat("stack node %d has parent %d",
                                                 size_, node.parent));
    }
    Append(node);
  }
  return absl::OkStatus();
}

std::vector<uint32_t> StackTree::Path(uint32_t id) const {
  std::vector<uint32_t> path;
  if (!Contains(id)) return path;
  while (id != 0) {
    path.push_back(id);
    id = node(id).parent;
  }
  return path;
}

}  // namespace heaptrail::analyzer
