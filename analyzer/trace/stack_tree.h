// The interned call-stack tree of a trace: node id -> (parent, ip, epoch).
// Node 0 is the empty stack; every other node's parent has a smaller id, so
// walking up from any node ends at 0 in at most id steps.
//
// Thread-safety: not thread-safe to modify; const methods may be shared.

#ifndef HEAPTRAIL_ANALYZER_TRACE_STACK_TREE_H_
#define HEAPTRAIL_ANALYZER_TRACE_STACK_TREE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

class StackTree {
 public:
  StackTree();

  // Appends the nodes of a kStackNodes record; ids must continue densely and
  // every parent must precede its node.
  absl::Status Add(const StackNodesRecord& record);

  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }
  bool Contains(uint32_t id) const { return id < nodes_.size(); }
  const StackNode& node(uint32_t id) const { return nodes_[id]; }

  // The ids from `id` up to (not including) the root: innermost first.
  // Empty for the root or an unknown id.
  std::vector<uint32_t> Path(uint32_t id) const;

 private:
  std::vector<StackNode> nodes_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_STACK_TREE_H_
