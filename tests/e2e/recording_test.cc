// End to end: the samples run under `heaptrail run`, and `heaptrail report`
// gives their exact numbers.
//
// Whatever the runtime allocates by itself under the tracker (libstdc++'s
// emergency exception pool, for one) is measured by running the `empty`
// sample and subtracted: what remains is exactly what each sample's source
// says it allocates.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "heaptrail/trace_format.h"
#include "trace/byte_cursor.h"
#include "trace/record_decoder.h"
#include "trace/trace_reader.h"
#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RecordingTest : public TempDirTest {
 protected:
  // Runs `program` under the tracker; returns the trace path.
  std::string Trace(const std::vector<std::string>& program, const std::string& name,
                    ProcessResult* result = nullptr) {
    std::string trace = dir_ + "/" + name + ".trace";
    ProcessResult run = RunUnderCli(program, trace);
    EXPECT_TRUE(fs::exists(trace)) << run.err;
    if (result != nullptr) *result = run;
    return trace;
  }

  // The summary of `sample` minus that of `empty`, key by key.
  json SampleSummary(const std::string& sample) {
    return BeyondBaseline(Summary(Trace({SamplesDir() + "/" + sample}, sample)),
                          BaselineSummary(dir_),
                          {"allocations", "frees", "allocated_bytes", "peak_bytes",
                           "leaked_bytes", "leaked_blocks", "mismatched_frees"});
  }
};

TEST_F(RecordingTest, LeaksSampleExactTotals) {
  json totals = SampleSummary("leaks");
  EXPECT_EQ(totals["allocations"], 21);
  EXPECT_EQ(totals["allocated_bytes"], 1059800);
  EXPECT_EQ(totals["leaked_bytes"], 6144);
  EXPECT_EQ(totals["leaked_blocks"], 13);
  EXPECT_EQ(totals["peak_bytes"], 1054720);
  EXPECT_EQ(totals["mismatched_frees"], 0);
}

// The same totals, and every cross-thread free in order, when the events
// are written as rows (`run --rows`) instead of columns with addresses by
// reference (the default).
TEST_F(RecordingTest, RowsAndColumnsGiveTheSameAnswers) {
  for (const std::string sample : {"leaks", "cross_thread_free"}) {
    std::string rows = dir_ + "/" + sample + ".rows.trace";
    std::string columns = dir_ + "/" + sample + ".columns.trace";
    ASSERT_EQ(RunUnderCli({SamplesDir() + "/" + sample}, columns).exit_code, 0);
    ProcessResult run = RunProcess({CliPath(), "run", "--rows", "-o", rows, "--",
                                    SamplesDir() + "/" + sample});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    json a = Report(rows, {"--at", "end", "--by", "line"});
    json b = Report(columns, {"--at", "end", "--by", "line"});
    for (const char* key : {"allocations", "frees", "allocated_bytes", "leaked_bytes",
                            "leaked_blocks", "unknown_frees"}) {
      EXPECT_EQ(a["summary"][key], b["summary"][key]) << sample << " " << key;
    }
    EXPECT_EQ(a["sites"], b["sites"]) << sample;
  }
}

// The events in each thread's column section of a chunk (its tags' bytes).
std::map<uint32_t, uint64_t> SectionEvents(std::span<const uint8_t> chunk) {
  std::map<uint32_t, uint64_t> events;
  analyzer::ByteCursor cursor(chunk);
  if (cursor.ReadByte().value_or(0) !=
      static_cast<uint8_t>(format::RecordType::kColumnSections)) {
    return events;
  }
  const uint64_t count = cursor.ReadVarint().value_or(0);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t thread = cursor.ReadVarint().value_or(0);
    events[static_cast<uint32_t>(thread)] = cursor.ReadVarint().value_or(0);
    for (int column = 0; column < 4; ++column) cursor.ReadVarint().IgnoreError();
  }
  return events;
}

// The events of each thread, as the decoder hands them on.
class EventCounter : public analyzer::RecordSink {
 public:
  void OnEvents(std::span<const analyzer::Event> events) override {
    counts[events.front().thread] += events.size();
  }
  std::map<uint32_t, size_t> counts;
};

// A thread's column records of a chunk keep their place among the chunk's
// records, their bytes a section per thread at the chunk's start: one
// section holds more than one of the sample's rounds (bursts of 4000 events,
// 30 ms apart, in chunks of up to 100 ms), and the events are exact.
TEST_F(RecordingTest, ColumnSectionsHoldAThreadsRoundsOfAChunk) {
  ProcessResult run;
  std::string trace = Trace({SamplesDir() + "/column_sections"}, "column_sections", &run);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "column_sections: done\n");
  EXPECT_EQ(MarkedSite(trace, "column_sections.c", "burst", "peak"), (SiteTotals{80000, 2000}));
  EXPECT_EQ(MarkedSite(trace, "column_sections.c", "burst"), (SiteTotals{0, 0}));

  auto reader = analyzer::TraceReader::Open(trace);
  ASSERT_TRUE(reader.ok()) << reader.status();
  analyzer::RecordDecoder decoder((*reader)->header().version);
  EventCounter counter;
  uint64_t largest_section = 0;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next();
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    for (const auto& [thread, events] : SectionEvents((*reader)->chunk())) {
      largest_section = std::max(largest_section, events);
    }
    absl::Status status = decoder.DecodeChunk((*reader)->chunk(), counter);
    ASSERT_TRUE(status.ok()) << status;
  }
  size_t most = 0;  // the sample's thread: the one with the most events
  for (const auto& [thread, count] : counter.counts) most = std::max(most, count);
  EXPECT_EQ(most, 24000u);  // 12000 allocations, 12000 frees
  EXPECT_GT(largest_section, 4000u);
}

TEST_F(RecordingTest, EveryEntryPointCountedOnce) {
  json totals = SampleSummary("every_entry_point");
  EXPECT_EQ(totals["allocations"], 23);
  EXPECT_EQ(totals["allocated_bytes"], 2667);
  EXPECT_EQ(totals["leaked_bytes"], 0);
  EXPECT_EQ(totals["leaked_blocks"], 0);
  EXPECT_EQ(totals["mismatched_frees"], 1);
}

TEST_F(RecordingTest, ForkedChildIsNotInParentTrace) {
  json totals = SampleSummary("fork_child");
  EXPECT_EQ(totals["allocations"], 2);
  EXPECT_EQ(totals["allocated_bytes"], 444);
  EXPECT_EQ(totals["leaked_bytes"], 444);
  // Only the parent's trace: the child wrote nothing anywhere.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    files += entry.path().filename().string().rfind("fork_child.trace", 0) == 0;
  }
  EXPECT_EQ(files, 1);
}

// 240000 blocks malloc'ed on producer threads and freed on consumer threads,
// addresses reused across threads all the time: any free replayed before the
// malloc it follows would show up as a leak of the 48-byte site.
TEST_F(RecordingTest, CrossThreadFreesReplayInOrder) {
  std::string trace = Trace({SamplesDir() + "/cross_thread_free"}, "cross");
  json document = Report(trace, {"--at", "end", "--by", "line"});
  EXPECT_GE(document["summary"]["allocations"].get<int64_t>(), 240000);
  EXPECT_GE(document["summary"]["frees"].get<int64_t>(), 240000);
  for (const auto& site : document["sites"]) {
    EXPECT_EQ(site["file"].get<std::string>().find("cross_thread_free.cc"), std::string::npos)
        << "a block of the sample is reported live at the end: " << site.dump();
  }
}

// The stack cache (preload/stack_capture.h) reuses and splices remembered
// stacks; through the real hooks every reported stack must still be exact,
// with frame pointers and without (see samples/deep_stacks.c).
TEST_F(RecordingTest, StacksStayExactThroughTheStackCache) {
  for (const std::string sample : {"deep_stacks", "deep_stacks_nofp"}) {
    SCOPED_TRACE(sample);
    std::string trace = Trace({SamplesDir() + "/" + sample}, sample);
    json document = Report(trace, {"--at", "end", "--by", "stack"});
    // The functions of each stack, innermost first, up to main -> its bytes
    // and blocks, summed over leak kinds (a stack's last block is still
    // reachable).
    std::map<std::vector<std::string>, std::pair<int64_t, int64_t>> sites;
    for (const auto& site : document["sites"]) {
      std::vector<std::string> functions;
      for (const auto& frame : site["stack"]) {
        functions.push_back(frame["function"]);
        if (functions.back() == "main") break;
      }
      if (functions.back() != "main" || functions.front() == "_IO_file_doallocate") continue;
      EXPECT_NE(site["stack"][0]["file"].get<std::string>().find("deep_stacks.c"),
                std::string::npos);
      sites[functions].first += site["size"].get<int64_t>();
      sites[functions].second += site["count"].get<int64_t>();
    }
    // Block size -> the functions of its stack.
    std::map<int64_t, std::vector<std::string>> stacks;
    for (const auto& [functions, usage] : sites) {
      ASSERT_EQ(usage.second, 100) << functions.front();
      stacks[usage.first / 100] = functions;
    }
    std::map<int64_t, std::vector<std::string>> expected;
    for (int levels = 3; levels <= 12; ++levels) {
      std::vector<std::string> functions(levels + 1, "Recurse");
      functions.push_back("main");
      expected[100 + levels] = functions;
    }
    expected[7] = {"Leaf", "ViaA", "main"};
    expected[9] = {"Leaf", "ViaB", "main"};
    EXPECT_EQ(stacks, expected);
  }
}

TEST_F(RecordingTest, SnapshotsFromApiAndSignalThenExitUnderscore) {
  // The runtime's own live blocks (libstdc++'s pool) are live at every
  // snapshot: `empty`'s peak.
  int64_t runtime = BaselineSummary(dir_)["peak_bytes"].get<int64_t>();
  ProcessResult run;
  std::string trace = Trace({SamplesDir() + "/snapshots"}, "snapshots", &run);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "snapshots: done\n");
  json snapshots = Snapshots(trace);
  ASSERT_EQ(snapshots.size(), 2u) << snapshots.dump();
  EXPECT_EQ(snapshots[0]["id"], 1);
  EXPECT_EQ(snapshots[0]["label"], "first");
  EXPECT_EQ(snapshots[0]["live_bytes"].get<int64_t>() - runtime, 10);
  EXPECT_EQ(snapshots[1]["id"], 2);
  EXPECT_EQ(snapshots[1]["live_bytes"].get<int64_t>() - runtime, 30);
  // _exit flushed: the last block, allocated after the signal, is there.
  json summary = Summary(trace);
  EXPECT_EQ(summary["leaked_bytes"].get<int64_t>() - runtime, 60);
  EXPECT_FALSE(summary["truncated"].get<bool>());
}

// A thread allocating without a pause, alone, has its ticks rounded by the
// writer: each snapshot, from the API or the signal, still sees exactly the
// blocks allocated before it, the first one after it not included.
TEST_F(RecordingTest, RoundedTicksNeverCrossASnapshot) {
  int64_t runtime = BaselineSummary(dir_)["peak_bytes"].get<int64_t>();
  ProcessResult run;
  std::string trace = Trace({SamplesDir() + "/rounded_ticks"}, "rounded_ticks", &run);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "rounded_ticks: done\n");
  json snapshots = Snapshots(trace);
  ASSERT_EQ(snapshots.size(), 8u) << snapshots.dump();
  for (int k = 1; k <= 8; ++k) {
    EXPECT_EQ(snapshots[k - 1]["live_bytes"].get<int64_t>() - runtime, k * 1000 * 24)
        << "snapshot " << k;
  }
  // At exit the runtime's own blocks are gone, as `empty`'s are.
  EXPECT_EQ(Summary(trace)["leaked_bytes"].get<int64_t>() -
                BaselineSummary(dir_)["leaked_bytes"].get<int64_t>(),
            8 * 1000 * 24);
}

// SIGKILL leaves no chance to flush: what was written before must still
// report, with a warning. `signals` are sent (by name, 0.2 s apart) before
// the kill, one second after the start.
json KilledSummary(const std::string& trace, const std::string& mode,
                   const std::vector<std::string>& signals) {
  std::string script = "HEAPTRAIL_OUTPUT='" + trace + "' LD_PRELOAD='" + PreloadPath() + "' '" +
                       SamplesDir() + "/allocate_then_wait' " + mode + " & pid=$!; sleep 1; ";
  for (const std::string& signal : signals) script += "kill -" + signal + " $pid; sleep 0.2; ";
  script += "kill -9 $pid; wait $pid";
  ProcessResult run = RunProcess({"/bin/sh", "-c", script});
  EXPECT_EQ(run.exit_code, 128 + 9);
  EXPECT_EQ(run.out, "ready\n");
  ProcessResult report = RunProcess({CliPath(), "report", trace, "--format", "json"});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.err.find("warning"), std::string::npos) << report.err;
  json summary = ParseJson(report)["summary"];
  EXPECT_TRUE(summary["truncated"].get<bool>());
  return summary;
}

// With a writer thread (the program has a second thread), a chunk is
// written at least every 100 ms.
TEST_F(RecordingTest, KilledProgramLeavesReadableTrace) {
  std::string trace = dir_ + "/killed.trace";
  KilledSummary(trace, "thread", {});
  EXPECT_EQ(MarkedSite(trace, "allocate_then_wait.c", "waiting-block"), (SiteTotals{100000, 1000}));
}

// A single-threaded program has no writer thread; a snapshot signal writes
// what it recorded at once, though it allocates nothing more.
TEST_F(RecordingTest, KilledSingleThreadedProgramKeepsWhatItsSnapshotWrote) {
  std::string trace = dir_ + "/killed.trace";
  json summary = KilledSummary(trace, "", {"USR2"});
  // The 1000 blocks and the runtime's pool (allocated before main, never
  // released: no destructor ran).
  EXPECT_EQ(summary["allocations"], 1001);
  EXPECT_EQ(summary["leaked_blocks"], 1001);
  EXPECT_EQ(summary["snapshots"], 1);
}

// A static program never loads the preload: it runs unharmed, and `run`
// says why there is no trace.
TEST_F(RecordingTest, StaticallyLinkedProgramRunsAndTheCliSaysWhyNothingWasRecorded) {
  std::string trace = dir_ + "/static.trace";
  ProcessResult run = RunUnderCli({SamplesDir() + "/static_program"}, trace);
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out, "static_program: ran\n");
  EXPECT_NE(run.err.find("static_program is statically linked"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(trace));
}

TEST_F(RecordingTest, ProgramOutputAndExitStatusUnchanged) {
  std::vector<std::string> program = {"/bin/sh", "-c", "echo out; echo err >&2; exit 7"};
  ProcessResult plain = RunProcess(program);
  ProcessResult traced;
  Trace(program, "sh", &traced);
  EXPECT_EQ(traced.exit_code, 7);
  EXPECT_EQ(traced.out, plain.out);
  EXPECT_EQ(plain.out, "out\n");
  EXPECT_NE(traced.err.find("err\n"), std::string::npos);

  ProcessResult leaks_plain = RunProcess({SamplesDir() + "/leaks"});
  ProcessResult leaks_traced;
  Trace({SamplesDir() + "/leaks"}, "leaks", &leaks_traced);
  EXPECT_EQ(leaks_traced.exit_code, leaks_plain.exit_code);
  EXPECT_EQ(leaks_traced.out, leaks_plain.out);
}

// heaptrack is the reference: the same deterministic run must show the same
// number of allocation calls. (Not every_entry_point: heaptrack does not
// intercept memalign, pvalloc, reallocarray or free_sized, so it counts fewer.)
TEST_F(RecordingTest, AllocationCountMatchesHeaptrack) {
  if (RunProcess({"sh", "-c", "command -v heaptrack"}).exit_code != 0) GTEST_SKIP() << "no heaptrack";
  const std::vector<std::vector<std::string>> programs = {
      {SamplesDir() + "/leaks"},
      {SamplesDir() + "/cross_thread_free"},
      {SamplesDir() + "/fork_child"},
      {"/bin/ls", "-la", "/usr/include/c++"},
      {"/usr/bin/sort", "/usr/include/stdio.h"},
  };
  for (const auto& program : programs) {
    std::string trace = Trace(program, "count");
    int64_t ours = Summary(trace)["allocations"].get<int64_t>();
    fs::remove(trace);

    EXPECT_EQ(ours, HeaptrackCount(program, dir_ + "/heaptrack")) << program[0];
  }
}

}  // namespace
}  // namespace heaptrail::testing
