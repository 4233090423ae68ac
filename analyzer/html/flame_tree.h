// The call tree behind the HTML report's flame graph: per-stack values
// merged frame by frame from the outermost frame in, then pruned so that a
// big trace stays fast in the browser: the children of a node that each
// hold less than a fraction of the whole are merged into one "[N smaller]"
// node (their value is kept, so every node still sums its children).
//
// JSON shape, compact on purpose: a node is [frame, value, count,
// [children...]], `frame` indexing the shared frame table (-1 for the root,
// -2 for a merged node; `count` is then the number of merged nodes).
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_HTML_FLAME_TREE_H_
#define HEAPTRAIL_ANALYZER_HTML_FLAME_TREE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "nlohmann/json.hpp"
#include "replay/heap_model.h"
#include "symbolize/stack_symbolizer.h"
#include "trace/stack_tree.h"

namespace heaptrail::analyzer {

// Frames shared by every tree of a report: [function, file, line, module].
class FrameTable {
 public:
  uint32_t Intern(const SourceFrame& frame);
  const nlohmann::json& json() const { return json_; }

 private:
  absl::flat_hash_map<std::string, uint32_t> index_;
  nlohmann::json json_ = nlohmann::json::array();
};

class FlameTree {
 public:
  // Adds a stack's value (bytes, or allocations) and count (blocks).
  void Add(std::span<const uint32_t> frames_outermost_first, uint64_t value,
           uint64_t count);
  // The pruned tree; children smaller than `min_fraction` of the root merge.
  nlohmann::json ToJson(double min_fraction) const;

 private:
  struct Node {
    int64_t frame = -1;
    uint64_t value = 0;
    uint64_t count = 0;
    absl::flat_hash_map<uint32_t, uint32_t> children;  // frame -> node
  };
  nlohmann::json NodeJson(uint32_t node, uint64_t min_value) const;

  std::vector<Node> nodes_{Node{}};
};

// A tree of `values` with frames interned in `frames`.
FlameTree BuildFlameTree(std::span<const StackValue> values,
                         const StackTree& tree, StackSymbolizer& symbolizer,
                         FrameTable& frames);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_HTML_FLAME_TREE_H_
