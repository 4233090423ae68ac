// Massif: a list of moments in time order, each written as a snapshot; a
// frame tree per detailed one, children sorted by size as massif does.

#include "export/massif.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "export/user_frames.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::analyzer {
namespace {

// Empty snapshots taken from the timeline; massif keeps about 100 in all.
constexpr size_t kTimelineSnapshots = 80;

enum class TreeKind { kEmpty, kDetailed, kPeak };

struct Moment {
  uint64_t tick = 0;
  uint64_t bytes = 0;
  TreeKind kind = TreeKind::kEmpty;
  std::vector<StackValue> values;  // detailed and peak
};

struct Node {
  std::string description;
  uint64_t bytes = 0;
  std::map<std::pair<uint32_t, const SourceFrame*>, std::unique_ptr<Node>>
      children;
};

std::string Describe(const UserFrame& frame, const StackTree& tree) {
  const SourceFrame& f = *frame.frame;
  uint64_t ip = tree.Contains(frame.node) ? tree.node(frame.node).ip : 0;
  if (format::IsPythonFrameIp(ip)) ip = 0;  // no machine address
  const std::string where =
      f.file.empty() ? absl::StrCat("in ", f.module) : FileLine(f);
  return absl::StrCat("0x", absl::Hex(ip, absl::kZeroPad8), ": ",
                      f.function.empty() ? "???" : f.function, " (", where,
                      ")");
}

void WriteNode(const Node& node, int depth, std::ostream& out) {
  std::vector<const Node*> children;
  for (const auto& [key, child] : node.children)
    children.push_back(child.get());
  std::stable_sort(
      children.begin(), children.end(),
      [](const Node* a, const Node* b) { return a->bytes > b->bytes; });
  std::string line(depth, ' ');
  absl::StrAppend(&line, "n", children.size(), ": ", node.bytes, " ",
                  node.description);
  // A massif tree line is one line: no line breaks from symbol names.
  std::replace(line.begin(), line.end(), '\n', ' ');
  out << line << '\n';
  for (const Node* child : children) WriteNode(*child, depth + 1, out);
}

void WriteTree(const std::vector<StackValue>& values, const StackTree& tree,
               StackSymbolizer& symbolizer, std::ostream& out) {
  Node root;
  root.description =
      "(heap allocation functions) malloc/new/new[], --alloc-fns, etc.";
  for (const StackValue& value : values) {
    if (value.bytes == 0) continue;
    root.bytes += value.bytes;
    Node* node = &root;
    for (const UserFrame& frame :
         UserFrames(value.stack_id, tree, symbolizer)) {
      std::unique_ptr<Node>& child =
          node->children[std::pair(frame.node, frame.frame)];
      if (child == nullptr) {
        child = std::make_unique<Node>();
        child->description = Describe(frame, tree);
      }
      child->bytes += value.bytes;
      node = child.get();
    }
  }
  WriteNode(root, 0, out);
}

}  // namespace

void WriteMassif(const TraceAnalysis& analysis, StackSymbolizer& symbolizer,
                 std::ostream& out) {
  const HeapTotals& totals = analysis.heap.totals();
  std::vector<Moment> moments;
  moments.push_back({0, 0, TreeKind::kEmpty, {}});
  const std::vector<TimelinePoint> points = analysis.timeline.Points();
  const size_t step = std::max<size_t>(1, points.size() / kTimelineSnapshots);
  for (size_t i = 0; i < points.size(); i += step) {
    moments.push_back({points[i].tick, points[i].max, TreeKind::kEmpty, {}});
  }
  for (const SnapshotState& snapshot : analysis.heap.snapshots()) {
    moments.push_back({snapshot.tick, snapshot.live_bytes, TreeKind::kDetailed,
                       snapshot.stacks});
  }
  moments.push_back({totals.peak_tick, totals.peak_bytes, TreeKind::kPeak,
                     analysis.heap.LiveAtPeak()});
  moments.push_back({std::max(analysis.end_tick, totals.last_tick),
                     totals.live_bytes, TreeKind::kDetailed,
                     analysis.heap.LiveNow()});
  std::stable_sort(
      moments.begin(), moments.end(),
      [](const Moment& a, const Moment& b) { return a.tick < b.tick; });

  std::vector<std::string> command = analysis.process.argv;
  if (command.empty()) command.push_back(analysis.process.executable);
  std::string cmd = absl::StrJoin(command, " ");
  std::replace(cmd.begin(), cmd.end(), '\n', ' ');
  out << "desc: heaptrail export of " << analysis.path << "\n"
      << "cmd: " << cmd << "\n"
      << "time_unit: ms\n";
  for (size_t i = 0; i < moments.size(); ++i) {
    const Moment& moment = moments[i];
    const double ms = analysis.Seconds(moment.tick) * 1000;
    out << "#-----------\nsnapshot=" << i << "\n#-----------\n"
        << "time=" << static_cast<uint64_t>(std::llround(std::max(ms, 0.0)))
        << "\nmem_heap_B=" << moment.bytes
        << "\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=";
    switch (moment.kind) {
      case TreeKind::kEmpty:
        out << "empty\n";
        break;
      case TreeKind::kDetailed:
      case TreeKind::kPeak:
        out << (moment.kind == TreeKind::kPeak ? "peak\n" : "detailed\n");
        WriteTree(moment.values, analysis.stacks, symbolizer, out);
        break;
    }
  }
}

}  // namespace heaptrail::analyzer
