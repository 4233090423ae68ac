// The CLI in-process: `report --format json` on a built trace with exact
// numbers, text output, errors and exit statuses.

#include "cli/cli.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

using format::AllocKind;
using format::FreeKind;
using testing::TraceBuilder;

struct CliResult {
  int status;
  std::string out;
  std::string err;
};

CliResult RunHeaptrail(std::vector<std::string> args) {
  args.insert(args.begin(), "heaptrail");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  const int status =
      RunCli(static_cast<int>(argv.size()), argv.data(), out, err,
             /*err_is_terminal=*/false);
  return {status, out.str(), err.str()};
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/cli_test_" + std::to_string(getpid()) + "_" +
         name;
}

// Writes the trace to a temporary file; returns its path.
std::string Write(TraceBuilder& b, const std::string& name) {
  const std::string path = TempPath(name);
  EXPECT_TRUE(b.WriteFile(path).ok());
  return path;
}

// Stacks (no modules, so frames are named by address):
//   1: 0x1000            2: 0x2000 <- 0x1000
// A leak of 300 B at stack 2, a 1000 B block at stack 1 freed after the
// peak, a new[] released with free (mismatch), a snapshot.
std::string WriteSampleTrace(const std::string& name) {
  TraceBuilder b;
  b.ProcessInfo("/bin/sample", {"sample"});
  b.StackNodes(1, {{0, 0, 0x1000}, {1, 0, 0x2000}});
  b.Alloc(0, 1'000'000, 0xa0, 1000, 1)
      .Alloc(0, 2'000'000, 0xb0, 300, 2)
      .Alloc(0, 3'000'000, 0xc0, 16, 2, AllocKind::kNewArray);
  b.RoundEnd(3'500'000);
  b.Snapshot(4'000'000, "mid");
  b.Free(0, 5'000'000, 0xc0, FreeKind::kFree).Free(0, 6'000'000, 0xa0);
  b.RoundEnd(7'000'000).End(8'000'000);
  return Write(b, name);
}

TEST(CliTest, ReportJsonHasTheSummaryKeysWithExactValues) {
  const std::string path = WriteSampleTrace("json.trace");
  const CliResult result = RunHeaptrail({"report", path, "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const nlohmann::json report = nlohmann::json::parse(result.out);
  const nlohmann::json& s = report["summary"];
  EXPECT_EQ(s["allocations"], 3);
  EXPECT_EQ(s["frees"], 2);
  EXPECT_EQ(s["allocated_bytes"], 1316);
  EXPECT_EQ(s["peak_bytes"], 1316);
  EXPECT_DOUBLE_EQ(s["peak_time_s"].get<double>(), 0.003);
  EXPECT_EQ(s["leaked_bytes"], 300);
  EXPECT_EQ(s["leaked_blocks"], 1);
  EXPECT_EQ(s["temporary_allocations"], 1);  // the new[] block
  EXPECT_DOUBLE_EQ(s["duration_s"].get<double>(), 0.008);
  EXPECT_EQ(s["mismatched_frees"], 1);
  EXPECT_EQ(report["at"], "peak");

  // At the peak: stack 1 holds 1000 B, stack 2 holds 316 B in 2 blocks.
  const nlohmann::json& sites = report["sites"];
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0]["function"], "0x1000");
  EXPECT_EQ(sites[0]["size"], 1000);
  EXPECT_EQ(sites[0]["count"], 1);
  EXPECT_EQ(sites[1]["function"], "0x2000");
  EXPECT_EQ(sites[1]["size"], 316);
  EXPECT_EQ(sites[1]["count"], 2);
  ASSERT_EQ(sites[1]["stack"].size(), 2u);
  EXPECT_EQ(sites[1]["stack"][1]["function"], "0x1000");
  for (const char* key :
       {"function", "file", "line", "module", "size", "count", "stack"}) {
    EXPECT_TRUE(sites[0].contains(key)) << key;
  }
}

TEST(CliTest, ReportAtEndShowsTheLeaks) {
  const std::string path = WriteSampleTrace("end.trace");
  const CliResult result =
      RunHeaptrail({"report", path, "--at", "end", "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["at"], "end");
  ASSERT_EQ(report["sites"].size(), 1u);
  EXPECT_EQ(report["sites"][0]["function"], "0x2000");
  EXPECT_EQ(report["sites"][0]["size"], 300);
  EXPECT_EQ(report["sites"][0]["count"], 1);
}

TEST(CliTest, ReportAtASnapshotAndSortByCount) {
  const std::string path = WriteSampleTrace("snap.trace");
  const CliResult result =
      RunHeaptrail({"report", path, "--at", "1", "--sort", "count", "--top",
                    "1", "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["at"], "1");
  ASSERT_EQ(report["sites"].size(), 1u);
  EXPECT_EQ(report["sites"][0]["count"], 2);
}

TEST(CliTest, ReportAtAMissingSnapshotIsAnError) {
  const std::string path = WriteSampleTrace("nosnap.trace");
  const CliResult result = RunHeaptrail({"report", path, "--at", "5"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("no snapshot 5: the trace has snapshots 1..1"),
            std::string::npos)
      << result.err;
}

TEST(CliTest, TextReportShowsSummaryAndTables) {
  const std::string path = WriteSampleTrace("text.trace");
  const CliResult result = RunHeaptrail({"report", path});
  ASSERT_EQ(result.status, 0) << result.err;
  for (const char* expected :
       {"Summary", "allocations:", "1316 B",
        "peak heap:", "Top sites at the peak", "Top leaks",
        "Most temporary allocations", "Mismatched frees", "new[] / free"}) {
    EXPECT_NE(result.out.find(expected), std::string::npos) << expected << "\n"
                                                            << result.out;
  }
}

// Stacks: 1: 0x1000 (main)  2: 0x2000 <- 1  3: 0x2000 <- 2 (recursion)
// 4: 0x3000 <- 3  5: 0x4000 <- 1. Leaks: 100 B at 4, 40 B in 2 blocks at 5.
std::string WriteRecursiveTrace(const std::string& name) {
  TraceBuilder b;
  b.StackNodes(1, {{0, 0, 0x1000},
                   {1, 0, 0x2000},
                   {2, 0, 0x2000},
                   {3, 0, 0x3000},
                   {1, 0, 0x4000}});
  b.Alloc(0, 1'000'000, 0xa0, 100, 4)
      .Alloc(0, 2'000'000, 0xb0, 20, 5)
      .Alloc(0, 3'000'000, 0xc0, 20, 5);
  b.RoundEnd(4'000'000).End(5'000'000);
  return Write(b, name);
}

TEST(CliTest, ReportCumulativeCreditsEveryFrameOnce) {
  const std::string path = WriteRecursiveTrace("cumulative.trace");
  CliResult result = RunHeaptrail(
      {"report", path, "--at", "end", "--cumulative", "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["cumulative"], true);
  std::vector<std::tuple<std::string, int, int>> sites;
  for (const nlohmann::json& site : report["sites"]) {
    sites.emplace_back(site["function"], site["size"], site["count"]);
  }
  // 0x2000 is twice in stack 4 and credited once.
  const std::vector<std::tuple<std::string, int, int>> expected = {
      {"0x1000", 140, 3},
      {"0x2000", 100, 1},
      {"0x3000", 100, 1},
      {"0x4000", 40, 2}};
  EXPECT_EQ(sites, expected);

  result = RunHeaptrail({"report", path, "--at", "end", "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["cumulative"], false);
  ASSERT_EQ(report["sites"].size(), 2u);

  result = RunHeaptrail({"report", path, "--cumulative", "--by", "function"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("by function (cumulative)"), std::string::npos)
      << result.out;

  result = RunHeaptrail({"report", path, "--cumulative", "--by", "stack"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("--cumulative groups by line, function or file"),
            std::string::npos)
      << result.err;
}

TEST(CliTest, SnapshotsJson) {
  const std::string path = WriteSampleTrace("snapshots.trace");
  const CliResult result =
      RunHeaptrail({"snapshots", path, "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  const nlohmann::json list = nlohmann::json::parse(result.out)["snapshots"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], 1);
  EXPECT_EQ(list[0]["label"], "mid");
  EXPECT_DOUBLE_EQ(list[0]["time_s"].get<double>(), 0.004);
  EXPECT_EQ(list[0]["live_bytes"], 1316);
  EXPECT_EQ(list[0]["live_blocks"], 3);
}

// A Python program's trace, its modules nowhere on disk (frames named
// "python3.11+0xOFFSET"):
//   1: exe+0x1000  2: [<module> leaky.py:12] <- 1  3: [load leaky.py:5] <- 2
//   4: exe+0x3200 <- 3 (the interpreter's)  5: exe+0x5000 <- 1
// Leaks: 100000 B at 4, 300 B at 5.
std::string WritePythonTrace(const std::string& name) {
  constexpr uint64_t kBias = 0x55d0'0000'0000;
  TraceBuilder b;
  ModuleInfo exe;
  exe.path = "/nonexistent/heaptrail/python3.11";
  exe.load_bias = kBias;
  exe.segments = {{0, 0x40'0000, 0, 5}, {0x50'0000, 0x2'0000, 0x40'0000, 6}};
  b.ModuleLoad(1, 0, exe);
  b.PythonInterpreter(0x030b02f0, kBias + 0x50'1000);
  b.PythonCode(1, 1, "leaky.py", "<module>",
               TraceBuilder::PythonLineTable({{8, 11}}));
  b.PythonCode(2, 3, "leaky.py", "load",
               TraceBuilder::PythonLineTable({{2, 1}, {4, 1}}));
  b.StackNodes(1, {{0, 0, kBias + 0x1000},
                   {1, 0, format::MakePythonFrameIp(1, 6)},
                   {2, 0, format::MakePythonFrameIp(2, 8)},
                   {3, 0, kBias + 0x3200},
                   {1, 0, kBias + 0x5000}});
  b.Alloc(0, 1'000'000, 0xa0, 100000, 4).Alloc(0, 2'000'000, 0xb0, 300, 5);
  b.RoundEnd(3'000'000).End(4'000'000);
  return Write(b, name);
}

TEST(CliTest, ReportAndExportShowPythonFrames) {
  const std::string path = WritePythonTrace("python.trace");
  CliResult result =
      RunHeaptrail({"report", path, "--at", "end", "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  const nlohmann::json sites = nlohmann::json::parse(result.out)["sites"];
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0]["function"], "load");
  EXPECT_EQ(sites[0]["file"], "leaky.py");
  EXPECT_EQ(sites[0]["line"], 5);
  EXPECT_EQ(sites[0]["module"], "/nonexistent/heaptrail/python3.11");
  EXPECT_EQ(sites[0]["python"], true);
  EXPECT_EQ(sites[0]["size"], 100000);
  EXPECT_EQ(sites[0]["stack"][1]["function"], "<module>");
  EXPECT_EQ(sites[0]["stack"][1]["line"], 12);
  // No Python frame under it: the interpreter's own frame is the site.
  EXPECT_EQ(sites[1]["function"], "python3.11+0x4fff");
  EXPECT_EQ(sites[1]["size"], 300);

  result = RunHeaptrail({"report", path, "--at", "end"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("load  leaky.py:5"), std::string::npos)
      << result.out;

  const std::string folded = TempPath("python.folded");
  result = RunHeaptrail(
      {"export", path, "--format", "collapsed", "--at", "end", "-o", folded});
  ASSERT_EQ(result.status, 0) << result.err;
  std::ifstream in(folded);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "python3.11+0xfff;<module> (leaky.py);load (leaky.py) 100000\n"
            "python3.11+0xfff;python3.11+0x4fff 300\n");
}

TEST(CliTest, MissingTraceIsAClearError) {
  const CliResult result = RunHeaptrail({"report", TempPath("missing.trace")});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("heaptrail: error: cannot open"),
            std::string::npos);
  EXPECT_EQ(result.out, "");
}

TEST(CliTest, TruncatedTraceWarnsOnStderr) {
  const std::string full = WriteSampleTrace("cut.trace");
  TraceBuilder b;
  b.Alloc(0, 1, 0x10, 8, 1)
      .RoundEnd(2)
      .EndChunk()
      .Alloc(0, 3, 0x20, 8, 1)
      .End(4);
  std::string bytes = b.Build();
  bytes.resize(bytes.size() - 2);
  const std::string path = TempPath("cut2.trace");
  FILE* file = fopen(path.c_str(), "wb");
  fwrite(bytes.data(), 1, bytes.size(), file);
  fclose(file);
  const CliResult result = RunHeaptrail({"report", path, "--format", "json"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(
      result.err.find("heaptrail: warning: trace truncated after chunk 0"),
      std::string::npos)
      << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["summary"]["truncated"], true);
}

TEST(CliTest, InvalidOptionValuesAreRejected) {
  const std::string path = WriteSampleTrace("opts.trace");
  EXPECT_NE(RunHeaptrail({"report", path, "--by", "nonsense"}).status, 0);
  EXPECT_NE(RunHeaptrail({"report", path, "--format", "xml"}).status, 0);
  EXPECT_NE(RunHeaptrail({"report", path, "--at", "later"}).status, 0);
  EXPECT_NE(RunHeaptrail({}).status, 0);
}

TEST(CliTest, HelpOnEveryCommand) {
  for (const char* command : {"report", "run", "snapshots", "snapshot"}) {
    const CliResult result = RunHeaptrail({command, "--help"});
    EXPECT_EQ(result.status, 0) << command;
    EXPECT_NE(result.out.find("Usage"), std::string::npos) << command;
  }
}

}  // namespace
}  // namespace heaptrail::analyzer
