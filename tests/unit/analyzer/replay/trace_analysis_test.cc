// AnalyzeTrace end to end on traces written by the test encoder: exact
// totals through the reader, decoder, merger and heap model, clock
// conversion, truncation and corruption.

#include "replay/trace_analysis.h"

#include <unistd.h>
#include <zstd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "report/report.h"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

using format::AllocKind;
using format::FreeKind;
using testing::TraceBuilder;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/trace_analysis_test_" +
         std::to_string(getpid()) + "_" + name + ".trace";
}

std::string Write(TraceBuilder& builder, const std::string& name) {
  const std::string path = TempPath(name);
  EXPECT_TRUE(builder.WriteFile(path).ok());
  return path;
}

// Two threads. Thread 0 frees block P at tick 100 but the writer only sees
// that free in round 2; thread 1's malloc returns P at tick 110 and is
// drained in round 1. The analysis must replay free(P) before malloc(P).
TraceBuilder CrossThreadTrace() {
  TraceBuilder b;
  b.ProcessInfo("/bin/prog", {"prog", "--flag"});
  b.ThreadStart(0, 100, 0).ThreadStart(1, 101, 5);
  b.StackNodes(1, {{0, 0, 0x401000}, {1, 0, 0x401100}, {1, 0, 0x401200}});
  // Round 0: thread 0 allocates P (stack 2) and Q (stack 3).
  b.Alloc(0, 10, 0x5000, 1000, 2).Alloc(0, 20, 0x6000, 500, 3);
  b.RoundEnd(50);
  // Round 1: thread 1's malloc of P is drained; thread 0's free(P) is not yet.
  b.Alloc(1, 110, 0x5000, 300, 3);
  b.RoundEnd(90);
  b.EndChunk();
  // Round 2: the late free, a snapshot, a realloc of Q, a temporary.
  b.Free(0, 100, 0x5000);
  b.Snapshot(120, "after");
  b.Free(0, 130, 0x6000, FreeKind::kRealloc)
      .Alloc(0, 131, 0x7000, 800, 3, AllocKind::kRealloc);
  b.Alloc(1, 140, 0x8000, 64, 2).Free(1, 141, 0x8000);
  b.RoundEnd(200);
  b.ThreadEnd(1, 210, "worker");
  b.End(250);
  return b;
}

TEST(TraceAnalysisTest, ReplaysACrossThreadTraceExactly) {
  TraceBuilder builder = CrossThreadTrace();
  const std::string path = Write(builder, "cross");
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  const TraceAnalysis& a = **analysis;
  EXPECT_TRUE(a.warnings.empty());
  EXPECT_TRUE(a.ended);
  EXPECT_FALSE(a.truncated);
  EXPECT_EQ(a.chunks, 2u);
  EXPECT_EQ(a.process.executable, "/bin/prog");
  ASSERT_EQ(a.threads.size(), 2u);
  EXPECT_EQ(a.threads[1].name, "worker");
  EXPECT_EQ(a.threads[1].os_tid, 101u);

  const HeapTotals& t = a.heap.totals();
  // Order: P(1000)@10, Q(500)@20, free P@100, P'(300)@110, snapshot@120,
  // realloc Q->R(800)@130/131, T(64)@140, free T@141.
  EXPECT_EQ(t.unknown_frees, 0u);
  EXPECT_EQ(t.reused_live_addresses, 0u);
  EXPECT_EQ(t.allocations, 5u);
  EXPECT_EQ(t.frees, 3u);
  EXPECT_EQ(t.allocated_bytes, 2664u);
  EXPECT_EQ(t.peak_bytes, 1500u);
  EXPECT_EQ(t.peak_tick, 20u);
  EXPECT_EQ(t.live_bytes, 1100u);
  EXPECT_EQ(t.live_blocks, 2u);
  // T, and Q: released (by realloc) with no other allocation on thread 0
  // since it was made.
  EXPECT_EQ(t.temporary_allocations, 2u);

  ASSERT_EQ(a.heap.snapshots().size(), 1u);
  EXPECT_EQ(a.heap.snapshots()[0].live_bytes, 800u);
  EXPECT_EQ(a.SnapshotRecordOf(a.heap.snapshots()[0]).label, "after");

  const Summary s = BuildSummary(a);
  EXPECT_DOUBLE_EQ(s.peak_time_s, 20e-9);
  EXPECT_DOUBLE_EQ(s.duration_s, 250e-9);
  EXPECT_FALSE(s.truncated);
}

TEST(TraceAnalysisTest, TscTicksAreConvertedWithTheLastClockSync) {
  TraceBuilder b(format::ClockKind::kTsc);  // header: 2e9 ticks/s
  b.Alloc(0, 3'000'000'000, 0x10, 8, 1);
  b.ClockSync(1'000'000'000, 1'000'000'000);  // 1 ns/tick: superseded
  b.ClockSync(4'000'000'000, 1'000'000'000);  // 0.25 ns/tick
  b.End(8'000'000'000);
  const std::string path = Write(b, "tsc");
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  const Summary s = BuildSummary(**analysis);
  EXPECT_DOUBLE_EQ(s.peak_time_s, 0.75);
  EXPECT_DOUBLE_EQ(s.duration_s, 2.0);
}

TEST(TraceAnalysisTest, TscWithoutClockSyncUsesTheHeaderRate) {
  TraceBuilder b(format::ClockKind::kTsc);
  b.Alloc(0, 3'000'000'000, 0x10, 8, 1).End(4'000'000'000);
  const std::string path = Write(b, "tsc-header");
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  EXPECT_DOUBLE_EQ(BuildSummary(**analysis).peak_time_s, 1.5);
  EXPECT_DOUBLE_EQ(BuildSummary(**analysis).duration_s, 2.0);
}

TEST(TraceAnalysisTest, TruncatedTraceKeepsTheEarlierChunksWithAWarning) {
  TraceBuilder b;
  b.Alloc(0, 1, 0x10, 100, 1).RoundEnd(5).EndChunk();
  b.Alloc(0, 6, 0x20, 50, 1).RoundEnd(10).EndChunk();
  b.Alloc(0, 11, 0x30, 25, 1).RoundEnd(15).End(20);
  std::string bytes = b.Build();
  bytes.resize(bytes.size() - 5);
  const std::string path = TempPath("cut");
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  const TraceAnalysis& a = **analysis;
  EXPECT_TRUE(a.truncated);
  EXPECT_FALSE(a.ended);
  ASSERT_EQ(a.warnings.size(), 1u);
  EXPECT_NE(a.warnings[0].find("trace truncated after chunk 1"),
            std::string::npos);
  EXPECT_EQ(a.heap.totals().allocations, 2u);
  EXPECT_EQ(a.heap.totals().live_bytes, 150u);
  EXPECT_EQ(a.end_tick, 10u);
  EXPECT_TRUE(BuildSummary(a).truncated);
}

TEST(TraceAnalysisTest, MissingEndRecordIsAWarning) {
  TraceBuilder b;
  b.Alloc(0, 1, 0x10, 100, 1).RoundEnd(5);
  const std::string path = Write(b, "no-end");
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_TRUE(analysis.ok());
  ASSERT_EQ((*analysis)->warnings.size(), 1u);
  EXPECT_NE((*analysis)->warnings[0].find("no end record"), std::string::npos);
}

TEST(TraceAnalysisTest, PythonFramesWithoutTheirRecordsAreWarnings) {
  TraceBuilder b;
  b.StackNodes(1, {{0, 0, 0x401000},
                   {1, 0, format::MakePythonFrameIp(1, 2)},
                   {2, 0, format::MakePythonFrameIp(2, 2)},
                   {2, 0, format::MakePythonFrameIp(3, 2)}});
  b.PythonCode(1, 1, "app.py", "<module>", "");
  b.Alloc(0, 1, 0x10, 100, 3).RoundEnd(5).End(6);
  const std::string path = Write(b, "python-unnamed");
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  EXPECT_EQ((*analysis)->warnings,
            (std::vector<std::string>{
                "the trace has Python frames but no Python interpreter "
                "record: the interpreter's own frames are shown as sites",
                "2 of 3 Python frames name code objects the trace does not "
                "hold (shown as \"<python code N>\")"}));
}

TEST(TraceAnalysisTest, ACorruptPythonRecordIsAnErrorNamingTheChunk) {
  TraceBuilder b;
  b.PythonCode(1, 1, "app.py", "f", "");
  b.PythonCode(1, 1, "app.py", "g", "");
  const std::string path = Write(b, "python-twice");
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_FALSE(analysis.ok());
  EXPECT_NE(analysis.status().message().find(
                "chunk 0: record at offset 13: Python code 1 defined twice"),
            std::string::npos)
      << analysis.status();
}

TEST(TraceAnalysisTest, CorruptRecordInAChunkIsAnErrorNamingTheChunk) {
  TraceBuilder b;
  b.Alloc(0, 1, 0x10, 100, 1).RoundEnd(5).EndChunk();
  b.Raw("\x63").End(10);
  const std::string path = Write(b, "bad-record");
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis = AnalyzeTrace(path);
  ASSERT_FALSE(analysis.ok());
  EXPECT_NE(analysis.status().message().find("chunk 1"), std::string::npos)
      << analysis.status();
  EXPECT_NE(analysis.status().message().find("unknown record type"),
            std::string::npos);
}

// Everything a report reads from an analysis, as one comparable string.
std::string Fingerprint(const absl::StatusOr<std::unique_ptr<TraceAnalysis>>&
                            loaded) {
  if (!loaded.ok()) return std::string(loaded.status().message());
  const TraceAnalysis& a = **loaded;
  const HeapTotals& t = a.heap.totals();
  std::string out = absl::StrCat(
      t.allocations, " ", t.frees, " ", t.allocated_bytes, " ", t.live_bytes,
      " ", t.live_blocks, " ", t.peak_bytes, " ", t.peak_blocks, " ",
      t.peak_tick, " ", t.temporary_allocations, " ", t.mismatched_frees, " ",
      t.unknown_frees, " ", a.chunks, " ", a.truncated, " ", a.ended, " ",
      a.end_tick, "\n");
  const auto values = [&out](const std::vector<StackValue>& list) {
    for (const StackValue& v : list) {
      absl::StrAppend(&out, v.stack_id, ":", v.bytes, "/", v.blocks, " ");
    }
    out += "\n";
  };
  values(a.heap.LiveNow());
  values(a.heap.LiveAtPeak());
  for (const SnapshotState& snapshot : a.heap.snapshots()) {
    absl::StrAppend(&out, "snapshot ", snapshot.tick, " ");
    values(snapshot.stacks);
  }
  for (const std::string& warning : a.warnings) out += warning + "\n";
  return out;
}

TEST(TraceAnalysisTest, PipelinedGivesTheSameAnalysis) {
  // 60 chunks of three threads allocating and freeing across rounds: more
  // events than several of HeapReplayer's batches.
  TraceBuilder b;
  uint64_t tick = 1;
  for (int chunk = 0; chunk < 60; ++chunk) {
    for (int i = 0; i < 1000; ++i) {
      const uint32_t thread = i % 3;
      const uint64_t address = 0x1000 + 16 * ((chunk * 1000 + i) % 700);
      if ((chunk + i) % 4 == 3) {
        b.Free(thread, tick++, address);
      } else {
        b.Alloc(thread, tick++, address, 8 + i % 50, 1 + i % 5);
      }
    }
    if (chunk % 10 == 5) b.Snapshot(tick++, "s");
    b.RoundEnd(tick++).EndChunk();
  }
  b.End(tick);
  std::string bytes = b.Build();
  const std::string path = TempPath("read-ahead");
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  const auto analyze = [&path](bool parallel) {
    AnalyzeOptions options;
    options.parallel = parallel;
    return Fingerprint(AnalyzeTrace(path, options));
  };
  const std::string whole = analyze(false);
  // 61 chunks (the End record has its own), not truncated, ended.
  EXPECT_NE(whole.find(" 61 0 1 "), std::string::npos) << whole;
  EXPECT_EQ(analyze(true), whole);

  // Cut short, and with a corrupt chunk in the middle (an error raised while
  // the worker is ahead): the same warning, the same error.
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 7));
  EXPECT_EQ(analyze(true), analyze(false));
  EXPECT_NE(analyze(true).find("truncated"), std::string::npos);
  bytes[b.chunk_offsets()[30] + sizeof(format::ChunkHeader) + 5] ^= 0x40;
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  EXPECT_EQ(analyze(true), analyze(false));
  EXPECT_NE(analyze(true).find("chunk"), std::string::npos) << analyze(true);
}

}  // namespace
}  // namespace heaptrail::analyzer

namespace heaptrail::analyzer {
namespace {

// Untrusted input: every single-byte corruption and every truncation of a
// small trace must give a result or an error, never a crash (run under
// ASan/UBSan in the sanitizer build).
TEST(TraceAnalysisRobustnessTest, EveryFlippedByteAndEveryCutIsHandled) {
  TraceBuilder builder = CrossThreadTrace();
  ModuleInfo module;
  module.path = "/bin/prog";
  module.load_bias = 0x400000;
  module.segments.push_back(Segment{0, 0x10000, 0, 5});
  builder.ModuleLoad(1, 0, module).ModuleUnload(1, 1);
  const std::string clean = builder.Build();
  const std::string path = TempPath("robust");
  auto analyze = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis =
        AnalyzeTrace(path);
    if (analysis.ok()) {
      const Summary summary = BuildSummary(**analysis);
      (void)summary;
    }
  };
  for (size_t i = 0; i < clean.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bytes = clean;
      bytes[i] = static_cast<char>(bytes[i] ^ mask);
      analyze(bytes);
    }
  }
  for (size_t size = 0; size < clean.size(); ++size) {
    analyze(clean.substr(0, size));
  }
}

// The same for records inside a valid chunk: corruption that the checksum
// cannot see, because the recorder itself wrote it.
TEST(TraceAnalysisRobustnessTest, CorruptRecordsInsideValidChunksAreHandled) {
  // The records of each chunk, re-framed below with one byte changed.
  TraceBuilder records_only = CrossThreadTrace();
  const std::string file = records_only.Build();
  const std::vector<size_t>& offsets = records_only.chunk_offsets();
  std::vector<std::string> raw_chunks;
  for (size_t c = 0; c < offsets.size(); ++c) {
    const size_t begin = offsets[c] + sizeof(format::ChunkHeader);
    const size_t end = c + 1 < offsets.size() ? offsets[c + 1] : file.size();
    format::ChunkHeader header;
    std::memcpy(&header, file.data() + offsets[c], sizeof(header));
    std::string raw(header.raw_size, '\0');
    ASSERT_EQ(ZSTD_decompress(raw.data(), raw.size(), file.data() + begin,
                              end - begin),
              raw.size());
    raw_chunks.push_back(raw);
  }
  const std::string path = TempPath("robust-records");
  for (size_t c = 0; c < raw_chunks.size(); ++c) {
    for (size_t i = 0; i < raw_chunks[c].size(); ++i) {
      for (uint8_t mask : {0x01, 0x40, 0xff}) {
        TraceBuilder b;
        for (size_t k = 0; k < raw_chunks.size(); ++k) {
          std::string raw = raw_chunks[k];
          if (k == c) raw[i] = static_cast<char>(raw[i] ^ mask);
          b.Raw(raw).EndChunk();
        }
        ASSERT_TRUE(b.WriteFile(path).ok());
        absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis =
            AnalyzeTrace(path);
        if (analysis.ok()) (void)BuildSummary(**analysis);
      }
    }
  }
}

}  // namespace
}  // namespace heaptrail::analyzer
