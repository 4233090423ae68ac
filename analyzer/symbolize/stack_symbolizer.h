// Turns a stack id into source frames: walks the stack tree from the node
// up, resolves each ip to the module alive in the node's epoch, and asks
// the SymbolSource for its frames (inlined frames expanded). Frames are
// cached per node, so a node shared by many stacks is resolved once.
//
// An ip outside every module becomes a frame named by its address; an id
// the tree does not hold becomes one "<unknown stack N>" frame. A Python
// frame (format::kPythonFrameBit) becomes one frame from the trace's Python
// code table (see python_frames.h), never a lookup in a module.
//
// Prefetch() symbolizes many stacks ahead on several threads: each thread
// has a SymbolSource of its own (from the factory), preloaded on the calling
// thread, and takes whole modules or, for a module holding more than its
// share of the addresses, a run of neighbouring addresses (that module is
// then loaded by several sources). The frames are the same as on demand;
// only who computes them differs.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_STACK_SYMBOLIZER_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_STACK_SYMBOLIZER_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "symbolize/python_frames.h"
#include "symbolize/symbol_source.h"
#include "trace/module_map.h"
#include "trace/python_code_table.h"
#include "trace/stack_tree.h"

namespace heaptrail::analyzer {

class StackSymbolizer {
 public:
  using SourceFactory = std::function<std::unique_ptr<SymbolSource>()>;

  // Without a factory, Prefetch() does nothing. `loaded_modules` maps module
  // map indices to the indices of modules `symbols` already holds (see
  // SymbolWarmer). `python` names the Python frames (TraceAnalysis::python;
  // an empty table for a trace without them).
  StackSymbolizer(const StackTree& tree, ModuleMap& modules,
                  const PythonCodeTable& python, SymbolSource& symbols,
                  SourceFactory factory = nullptr,
                  absl::flat_hash_map<size_t, size_t> loaded_modules = {});
  StackSymbolizer(const StackSymbolizer&) = delete;
  StackSymbolizer& operator=(const StackSymbolizer&) = delete;

  // Source frames of a stack, innermost first. Pointers stay valid for the
  // symbolizer's lifetime.
  std::vector<const SourceFrame*> Frames(uint32_t stack_id);

  // The innermost frame of a stack for which `skip` is false, or its
  // innermost frame when `skip` holds for all: what Frames() would give,
  // without walking the rest of a deep stack.
  template <typename Skip>
  const SourceFrame* FirstFrameNot(uint32_t stack_id, Skip&& skip) {
    if (!tree_.Contains(stack_id)) return Frames(stack_id).front();
    const SourceFrame* innermost = nullptr;
    for (uint32_t id = stack_id; id != 0; id = tree_.node(id).parent) {
      for (const SourceFrame& frame : NodeFrames(id)) {
        if (innermost == nullptr) innermost = &frame;
        if (!skip(frame)) return &frame;
      }
    }
    return innermost;
  }
  // Source frames of one node (one address), innermost (inlined) first; the
  // node must be in the tree.
  const std::vector<SourceFrame>& NodeFrames(uint32_t node);

  // True when the stack holds a Python frame (and the trace an interpreter):
  // the stacks whose site skips the interpreter's native frames. Memoized
  // per node.
  bool HasPythonFrames(uint32_t stack_id);
  // True for a native frame of the interpreter's module (not a Python one).
  bool IsInterpreterFrame(const SourceFrame& frame) {
    return python_frames_.IsInterpreterFrame(frame);
  }

  // Symbolizes the nodes of `stack_ids` on up to `threads` threads, at most
  // the innermost `depth` of each stack; does nothing for fewer than
  // kMinPrefetchNodes nodes. Modules the main source already holds are left
  // to it: their debug info is loaded there; Python frames are left to
  // NodeFrames(), which needs no debug info for them.
  void Prefetch(std::span<const uint32_t> stack_ids, unsigned threads,
                size_t depth = SIZE_MAX);

  static constexpr size_t kMinPrefetchNodes = 64;

 private:
  const std::vector<SourceFrame>& Own(SourceFrame frame);

  const std::vector<SourceFrame>& PythonNodeFrames(const StackNode& node);

  // A node's slot in node_frames_, which grows with the tree.
  const std::vector<SourceFrame>*& FramesSlot(uint32_t node) {
    if (node >= node_frames_.size()) {
      node_frames_.resize(std::max<size_t>(tree_.size(), size_t{node} + 1));
    }
    return node_frames_[node];
  }

  const StackTree& tree_;
  ModuleMap& modules_;
  const PythonCodeTable& python_;
  PythonFrames python_frames_;
  SymbolSource& symbols_;
  // Per node: its frames once computed, else null. A vector, not a map:
  // the report asks for every node of ~10^5 stacks.
  std::vector<const std::vector<SourceFrame>*> node_frames_;
  // Module index -> SymbolSource index; registered on first use.
  absl::flat_hash_map<size_t, size_t> source_index_;
  absl::flat_hash_map<uint32_t, const std::vector<SourceFrame>*>
      unknown_stacks_;
  std::deque<std::vector<SourceFrame>> owned_;  // deque: stable addresses
  // Python frames by (ip, epoch): the nodes of one (code, instruction)
  // share them; the epoch places the interpreter's module.
  absl::flat_hash_map<std::pair<uint64_t, uint32_t>,
                      const std::vector<SourceFrame>*>
      python_ip_frames_;
  // Per node: 1 when it or an ancestor is a Python frame (HasPythonFrames).
  std::vector<uint8_t> python_in_stack_;
  SourceFactory factory_;
  // Prefetch()'s sources: their frames are referenced by node_frames_.
  std::vector<std::unique_ptr<SymbolSource>> prefetch_sources_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_STACK_SYMBOLIZER_H_
