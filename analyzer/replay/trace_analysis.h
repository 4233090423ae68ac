// One pass over a trace file: reader -> record decoder -> event merger ->
// heap model, with the stack tree, module map, Python code objects, clock,
// threads, snapshots and RSS samples collected on the way. Everything a
// report needs, in one object; memory bounded by one chunk, one round of
// events, the live blocks and the distinct stacks.
//
// Thread-safety: AnalyzeTrace() is reentrant; the result is not shared.

#ifndef HEAPTRAIL_ANALYZER_REPLAY_TRACE_ANALYSIS_H_
#define HEAPTRAIL_ANALYZER_REPLAY_TRACE_ANALYSIS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "heaptrail/trace_format.h"
#include "replay/heap_model.h"
#include "replay/heap_timeline.h"
#include "trace/module_map.h"
#include "trace/python_code_table.h"
#include "trace/records.h"
#include "trace/stack_tree.h"
#include "trace/trace_clock.h"

namespace heaptrail::analyzer {

struct ThreadInfo {
  uint32_t index = 0;  // as recorded
  uint64_t os_tid = 0;
  uint64_t start_tick = 0;
  uint64_t end_tick = 0;
  bool ended = false;
  std::string name;
};

struct TraceAnalysis {
  explicit TraceAnalysis(const format::FileHeader& file_header)
      : header(file_header), clock(file_header) {}

  double Seconds(uint64_t tick) const { return clock.Seconds(tick); }
  double DurationSeconds() const { return clock.Seconds(end_tick); }
  // The label and source of a replayed snapshot.
  const SnapshotRecord& SnapshotRecordOf(const SnapshotState& state) const {
    return snapshot_records[state.record_index];
  }

  std::string path;
  format::FileHeader header;
  TraceClock clock;
  // The replay thread writes heap and timeline for every event while the
  // decoding thread fills the rest: cache lines of their own keep the two
  // threads from stalling each other (false sharing halved the pipeline's
  // speed, measured).
  alignas(kCacheLine) HeapModel heap;
  HeapTimeline timeline;  // live bytes over time, downsampled
  alignas(kCacheLine) StackTree stacks;
  ModuleMap modules;
  // The interpreter and code objects of the Python frames in `stacks`.
  PythonCodeTable python;
  std::vector<ThreadInfo> threads;               // by dense slot
  std::vector<SnapshotRecord> snapshot_records;  // in file order
  std::vector<RssRecord> rss;
  ProcessInfoRecord process;
  std::vector<LeakKindsRecord> leak_kinds;  // applied to heap after replay
  uint64_t end_tick = 0;   // kEnd's tick, else the last tick seen
  bool ended = false;      // a kEnd record was read
  bool truncated = false;  // the last chunk was short or damaged
  uint32_t chunks = 0;
  std::vector<std::string> warnings;  // for stderr, one line each
};

struct AnalyzeOptions {
  // Called after each chunk with the bytes read so far and the file size.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Called on the decoding thread with each stack-node record the stack
  // tree accepted, and after each module load, with the modules known so far
  // (see SymbolWarmer).
  std::function<void(const StackNodesRecord& record, ModuleMap& modules)>
      on_stack_nodes;
  std::function<void(ModuleMap& modules)> on_module_load;
  // Bound on buffered events in the merger (see EventMerger).
  size_t max_buffered_events = size_t{32} << 20;
  // Pipelined on three threads: chunks decompressed ahead of decoding and
  // merging, the heap model's replay behind them. The same result either way.
  bool parallel = true;
};

absl::StatusOr<std::unique_ptr<TraceAnalysis>> AnalyzeTrace(
    const std::string& path, const AnalyzeOptions& options = {});

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPLAY_TRACE_ANALYSIS_H_
