// The interned call-stack tree of a trace: node id -> (parent, ip, epoch).
// Node 0 is the empty stack; every other node's parent has a smaller id, so
// walking up from any node ends at 0 in at most id steps.
//
// Nodes are stored in fixed blocks, not one growing array: a compiler's
// trace has ~400k nodes, and doubling an array copies them into fresh pages
// each time (twice the memory touched, the decoder's largest share of page
// faults on a cc1plus trace). A lookup costs one more load, from a small
// array of blocks that stays in cache.
//
// Thread-safety: not thread-safe to modify; const methods may be shared.

#ifndef HEAPTRAIL_ANALYZER_TRACE_STACK_TREE_H_
#define HEAPTRAIL_ANALYZER_TRACE_STACK_TREE_H_

#include <cstdint>
#include <memory>
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

  uint32_t size() const { return size_; }
  bool Contains(uint32_t id) const { return id < size_; }
  const StackNode& node(uint32_t id) const {
    return blocks_[id >> kBlockShift][id & kBlockMask];
  }

  // The ids from `id` up to (not including) the root: innermost first.
  // Empty for the root or an unknown id.
  std::vector<uint32_t> Path(uint32_t id) const;

 private:
  static constexpr uint32_t kBlockShift = 16;  // 64Ki nodes, 1 MiB a block
  static constexpr uint32_t kBlockSize = uint32_t{1} << kBlockShift;
  static constexpr uint32_t kBlockMask = kBlockSize - 1;

  void Append(const StackNode& node);

  std::vector<std::unique_ptr<StackNode[]>> blocks_;
  uint32_t size_ = 0;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_STACK_TREE_H_
