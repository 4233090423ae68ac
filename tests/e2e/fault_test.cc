// Faults around the traced program: an output path that cannot be created,
// a file-size limit reached mid-run (a full disk, as the program sees it),
// a writer that falls behind, a kill in the middle of heavy allocation. The
// program must run on exactly as without the tracker; the tracker says so in
// one line on stderr, and what it wrote stays readable.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FaultTest : public TempDirTest {
 protected:
  // Runs `sample` preloaded under `ulimit -f` (512-byte blocks in dash),
  // with SIGXFSZ at its default action (which kills) unless `ignore_xfsz`.
  ProcessResult RunWithFileSizeLimit(const std::string& sample, const std::string& trace,
                                     int blocks, bool ignore_xfsz) {
    std::string script = std::string(ignore_xfsz ? "trap '' XFSZ; " : "") + "ulimit -f " +
                         std::to_string(blocks) + " && LD_PRELOAD='" + PreloadPath() +
                         "' HEAPTRAIL_OUTPUT='" + trace + "' exec '" + SamplesDir() + "/" +
                         sample + "'";
    return RunProcess({"/bin/sh", "-c", script});
  }
};

TEST_F(FaultTest, UncreatableOutputPathLeavesTheProgramUnharmed) {
  ProcessResult plain = RunProcess({SamplesDir() + "/leaks"});
  std::string trace = dir_ + "/no/such/directory/leaks.trace";
  ProcessResult traced = RunPreloaded({SamplesDir() + "/leaks"}, trace);
  EXPECT_EQ(traced.exit_code, plain.exit_code);
  EXPECT_EQ(traced.out, plain.out);
  EXPECT_EQ(traced.err, plain.err + "heaptrail: cannot create trace file " + trace +
                            ": No such file or directory; tracking stopped\n");
}

TEST_F(FaultTest, CliRefusesAnOutputDirectoryThatDoesNotExist) {
  ProcessResult run =
      RunUnderCli({SamplesDir() + "/leaks"}, dir_ + "/no/such/directory/leaks.trace");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(Occurrences(run.err, "\n"), 1u) << run.err;
  EXPECT_NE(run.err.find("does not exist"), std::string::npos) << run.err;
}

// The trace outgrows the limit: EFBIG, one line, the program goes on. With
// SIGXFSZ at its default action the tracker must not let the signal its own
// write raised kill the program, on its writer thread (mid-run) or on the
// program's thread (the header, written at start-up, with a limit of 0).
TEST_F(FaultTest, FileSizeLimitReached) {
  ProcessResult plain = RunProcess({SamplesDir() + "/cross_thread_free"});
  for (int blocks : {64, 0}) {
    for (bool ignore_xfsz : {true, false}) {
      std::string name = std::to_string(blocks) + (ignore_xfsz ? "-ignored" : "-default");
      SCOPED_TRACE(name);
      std::string trace = dir_ + "/" + name + ".trace";
      ProcessResult traced =
          RunWithFileSizeLimit("cross_thread_free", trace, blocks, ignore_xfsz);
      EXPECT_EQ(traced.exit_code, plain.exit_code);
      EXPECT_EQ(traced.out, plain.out);
      EXPECT_EQ(traced.err, "heaptrail: cannot write trace file " + trace +
                                ": File too large; tracking stopped\n");
      EXPECT_LE(fs::file_size(trace), blocks * 512u);
      if (blocks == 0) continue;
      // What was written before the limit reports, as a truncated trace.
      ProcessResult report = RunProcess({CliPath(), "report", trace, "--format", "json"});
      EXPECT_EQ(report.exit_code, 0) << report.err;
      EXPECT_NE(report.err.find("warning"), std::string::npos) << report.err;
    }
  }
}

// Rings of 64 bytes: the writer falls behind after every event or two, the
// allocating threads wait for it, and not one event is lost.
TEST_F(FaultTest, WriterFallingBehindLosesNoEvent) {
  for (const std::string sample : {"leaks", "cross_thread_free"}) {
    SCOPED_TRACE(sample);
    std::string normal_trace = dir_ + "/" + sample + ".normal.trace";
    std::string tiny_trace = dir_ + "/" + sample + ".tiny.trace";
    ProcessResult normal = RunPreloaded({SamplesDir() + "/" + sample}, normal_trace);
    ProcessResult tiny = RunPreloaded({SamplesDir() + "/" + sample}, tiny_trace,
                                      {"HEAPTRAIL_BUFFER_SIZE=64"});
    EXPECT_EQ(tiny.exit_code, 0) << tiny.err;
    EXPECT_EQ(tiny.out, normal.out);
    EXPECT_EQ(tiny.err, "");
    json expected = Summary(normal_trace);
    json summary = Summary(tiny_trace);
    for (const char* key : {"allocations", "frees", "allocated_bytes", "leaked_bytes",
                            "leaked_blocks", "mismatched_frees"}) {
      EXPECT_EQ(summary[key], expected[key]) << key;
    }
  }
  // The exact figures of `leaks` (see recording_test) with the tiny rings.
  std::string empty_trace = dir_ + "/empty.tiny.trace";
  RunPreloaded({SamplesDir() + "/empty"}, empty_trace, {"HEAPTRAIL_BUFFER_SIZE=64"});
  json beyond = BeyondBaseline(Summary(dir_ + "/leaks.tiny.trace"), Summary(empty_trace),
                               {"allocations", "allocated_bytes", "leaked_bytes"});
  EXPECT_EQ(beyond,
            (json{{"allocations", 21}, {"allocated_bytes", 1059800}, {"leaked_bytes", 6144}}));
}

TEST_F(FaultTest, InvalidBufferSizeIsIgnoredWithOneLine) {
  std::string trace = dir_ + "/leaks.trace";
  ProcessResult run =
      RunPreloaded({SamplesDir() + "/leaks"}, trace, {"HEAPTRAIL_BUFFER_SIZE=1000"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "heaptrail: ignoring HEAPTRAIL_BUFFER_SIZE=1000 (invalid value)\n");
  EXPECT_TRUE(fs::exists(trace));
}

// Killed while its threads allocate as fast as they can: whatever chunks
// were complete report, with a warning, never an error.
TEST_F(FaultTest, KilledDuringHeavyAllocationStillReports) {
  std::string trace = dir_ + "/killed.trace";
  std::string script = "LD_PRELOAD='" + PreloadPath() + "' HEAPTRAIL_OUTPUT='" + trace + "' '" +
                       SamplesDir() + "/cross_thread_free' & pid=$!; sleep 0.3; kill -9 $pid; " +
                       "wait $pid";
  ProcessResult run = RunProcess({"/bin/sh", "-c", script});
  ProcessResult report = RunProcess({CliPath(), "report", trace, "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  json summary = ParseJson(report)["summary"];
  if (run.exit_code == 128 + 9) {
    EXPECT_TRUE(summary["truncated"].get<bool>());
    EXPECT_NE(report.err.find("warning"), std::string::npos) << report.err;
  }
  EXPECT_GE(summary["allocations"].get<int64_t>(), summary["frees"].get<int64_t>());
}

}  // namespace
}  // namespace heaptrail::testing
