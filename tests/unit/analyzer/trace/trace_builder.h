// A test-only trace writer: encodes records exactly as
// include/heaptrail/trace_format.h describes (varints, per-thread delta
// state, zstd chunks with checksums), so that tests can hand-write event
// sequences, including adversarial ones, and corrupt them byte by byte.
//
// Events are buffered per thread and written as kThreadEvents records
// (one per thread with pending events, in the order the threads first
// appeared) when another record is appended, when the chunk ends, or on
// FlushEvents(): the same shape as the recorder's writer draining buffers.

#ifndef HEAPTRAIL_TESTS_UNIT_ANALYZER_TRACE_BUILDER_H_
#define HEAPTRAIL_TESTS_UNIT_ANALYZER_TRACE_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "heaptrail/trace_format.h"
#include "trace/records.h"

namespace heaptrail::analyzer::testing {

class TraceBuilder {
 public:
  explicit TraceBuilder(
      format::ClockKind clock = format::ClockKind::kMonotonicNs);

  // The header written by Build(); tests may alter it.
  format::FileHeader& header() { return header_; }

  // Thread events.
  TraceBuilder& Alloc(uint32_t thread, uint64_t tick, uint64_t address,
                      uint64_t size, uint32_t stack_id,
                      format::AllocKind kind = format::AllocKind::kMalloc);
  TraceBuilder& Free(uint32_t thread, uint64_t tick, uint64_t address,
                     format::FreeKind kind = format::FreeKind::kFree);
  // A release that carries its stack (kFreeWithStack).
  TraceBuilder& FreeWithStack(uint32_t thread, uint64_t tick, uint64_t address,
                              uint32_t stack_id,
                              format::FreeKind kind = format::FreeKind::kFree);
  TraceBuilder& ReallocFailed(uint32_t thread, uint64_t tick, uint64_t address);
  TraceBuilder& FlushEvents();

  // Top-level records.
  TraceBuilder& ThreadStart(uint32_t thread, uint64_t os_tid, uint64_t tick);
  TraceBuilder& ThreadEnd(uint32_t thread, uint64_t tick,
                          std::string_view name);
  TraceBuilder& StackNodes(uint32_t first_id,
                           const std::vector<StackNode>& nodes);
  TraceBuilder& ModuleLoad(uint64_t module_id, uint32_t epoch,
                           const ModuleInfo& info);
  TraceBuilder& ModuleUnload(uint64_t module_id, uint32_t epoch);
  TraceBuilder& RoundEnd(uint64_t tick);
  TraceBuilder& ClockSync(uint64_t tick, uint64_t mono_ns);
  TraceBuilder& Rss(uint64_t tick, uint64_t rss_bytes);
  TraceBuilder& Snapshot(
      uint64_t tick, std::string_view label,
      format::SnapshotSource source = format::SnapshotSource::kApi);
  TraceBuilder& ProcessInfo(std::string_view executable,
                            const std::vector<std::string>& argv);
  TraceBuilder& End(uint64_t tick);
  TraceBuilder& PythonInterpreter(uint32_t version, uint64_t runtime_address);
  TraceBuilder& PythonCode(uint32_t code_id, uint32_t first_line,
                           std::string_view file,
                           std::string_view qualified_name,
                           std::string_view line_table);
  // Appends bytes verbatim to the current chunk's records.
  TraceBuilder& Raw(std::string_view bytes);

  // Closes the current chunk (compresses it). Empty chunks are written too.
  TraceBuilder& EndChunk();

  // The whole file: header, then every chunk (the open one is closed first
  // when it holds anything).
  std::string Build();
  absl::Status WriteFile(const std::string& path);

  // File offsets of the chunks produced by the last Build(), for corruption.
  const std::vector<size_t>& chunk_offsets() const { return chunk_offsets_; }

  static void PutVarint(std::string& out, uint64_t value);
  static void PutSvarint(std::string& out, int64_t value);
  static void PutString(std::string& out, std::string_view value);
  // One entry of a co_linetable: `units` code units (1..8) on the line
  // `delta` after the previous entry's, or without a line.
  struct PythonLineEntry {
    uint32_t units = 1;
    int32_t delta = 0;
    bool no_location = false;
  };
  // A co_linetable of "no columns" (code 13) and "no location" (code 15)
  // entries, as CPython writes with PYTHONNODEBUGRANGES=1.
  static std::string PythonLineTable(
      const std::vector<PythonLineEntry>& entries);
  // One zstd frame with a content checksum.
  static std::string Compress(std::string_view raw);

 private:
  struct ThreadState {
    uint64_t last_tick = 0;
    uint64_t last_address = 0;
    std::string pending;
  };
  ThreadState& Thread(uint32_t thread);
  void Record(format::RecordType type);

  format::FileHeader header_{};
  absl::flat_hash_map<uint32_t, ThreadState> threads_;
  std::vector<uint32_t> pending_order_;
  std::string records_;
  // kStackNodes' ips, numbered as the writer numbers them.
  std::vector<uint64_t> stack_ips_;
  uint64_t previous_ip_index_ = ~uint64_t{0};
  bool chunk_open_ = false;
  std::vector<std::string> chunks_;  // each: ChunkHeader + frame
  std::vector<size_t> chunk_offsets_;
};

}  // namespace heaptrail::analyzer::testing

#endif  // HEAPTRAIL_TESTS_UNIT_ANALYZER_TRACE_BUILDER_H_
