// The reachability of the blocks live at exit, against valgrind's memcheck
// on the same program (samples/leak_kinds.c): every loss record, by the
// sample's line and kind, with its bytes and blocks.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

using nlohmann::json;

class LeakKindsTest : public TempDirTest {};

struct Usage {
  int64_t bytes = 0;
  int64_t blocks = 0;
  bool operator==(const Usage&) const = default;
  friend std::ostream& operator<<(std::ostream& out, const Usage& usage) {
    return out << usage.bytes << " bytes in " << usage.blocks << " blocks";
  }
};

// (line in leak_kinds.c, kind) -> usage: the first frame of the sample in
// the allocation's stack locates a loss record.
using LossRecords = std::map<std::pair<int, std::string>, Usage>;

int64_t Number(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c != ',') digits += c;
  }
  return std::stoll(digits);
}

// memcheck's "N (D direct, I indirect) bytes in B blocks are KIND lost in
// loss record..." and the stack under it.
LossRecords ParseMemcheck(const std::string& log) {
  static const std::regex kRecord(
      R"(== (?:[\d,]+ \(([\d,]+) direct, [\d,]+ indirect\)|([\d,]+)) bytes in ([\d,]+) blocks are (definitely lost|indirectly lost|possibly lost|still reachable) in loss record)");
  static const std::regex kFrame(R"(\(leak_kinds\.c:(\d+)\))");
  static const std::map<std::string, std::string> kKinds = {{"definitely lost", "definite"},
                                                            {"indirectly lost", "indirect"},
                                                            {"possibly lost", "possible"},
                                                            {"still reachable", "reachable"}};
  LossRecords records;
  std::istringstream lines(log);
  std::string line;
  Usage* current = nullptr;
  Usage pending;
  std::string kind;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_search(line, match, kRecord)) {
      pending.bytes = Number(match[1].matched ? match[1].str() : match[2].str());
      pending.blocks = Number(match[3]);
      kind = kKinds.at(match[4]);
      current = &pending;
    } else if (current != nullptr && std::regex_search(line, match, kFrame)) {
      Usage& usage = records[{std::stoi(match[1]), kind}];
      usage.bytes += current->bytes;
      usage.blocks += current->blocks;
      current = nullptr;
    }
  }
  return records;
}

LossRecords SitesOfReport(const json& report) {
  LossRecords records;
  for (const json& site : report["sites"]) {
    for (const json& frame : site["stack"]) {
      const std::string file = frame["file"];
      if (file.size() < 12 || file.compare(file.size() - 12, 12, "leak_kinds.c") != 0) continue;
      Usage& usage = records[{frame["line"].get<int>(), site.value("leak_kind", "none")}];
      usage.bytes += site["size"].get<int64_t>();
      usage.blocks += site["count"].get<int64_t>();
      break;
    }
  }
  return records;
}

TEST_F(LeakKindsTest, EveryLossRecordAsMemcheckHasIt) {
  const std::string program = SamplesDir() + "/leak_kinds";
  const std::string trace = dir_ + "/leak_kinds.trace";
  ProcessResult run = RunUnderCli({program}, trace, {"HEAPTRAIL_LEAK_KINDS=1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "leak_kinds: done\n");
  // By stack: glibc's blocks of two threads share a line of glibc's.
  LossRecords ours = SitesOfReport(Report(trace, {"--at", "end", "--by", "stack"}));

  auto line = [](const char* marker) { return LineOf("leak_kinds.c", std::string("@") + marker); };
  // The sample's own blocks, exactly.
  const LossRecords expected_own = {
      {{line("dropped"), "definite"}, {111, 1}},
      {{line("zero"), "definite"}, {0, 1}},
      {{line("tree_root"), "definite"}, {200, 1}},
      {{line("tree_left"), "indirect"}, {210, 1}},
      {{line("tree_right"), "indirect"}, {220, 1}},
      {{line("tree_leaf"), "indirect"}, {230, 1}},
      {{line("cycle_a"), "definite"}, {300, 1}},  // the lowest address of the cycle
      {{line("cycle_b"), "indirect"}, {310, 1}},
      {{line("cycle_c"), "indirect"}, {320, 1}},
      {{line("global"), "reachable"}, {400, 1}},
      {{line("chain_a"), "reachable"}, {410, 1}},
      {{line("chain_b"), "reachable"}, {420, 1}},
      {{line("interior"), "possible"}, {500, 1}},
      {{line("tls"), "reachable"}, {600, 1}},
      {{line("length64"), "reachable"}, {808, 1}},  // through the length64 heuristic
      {{line("thread_stack"), "reachable"}, {700, 1}},
      {{line("thread_register"), "reachable"}, {750, 1}},  // in a parked thread's r15
  };
  for (const auto& [key, usage] : expected_own) {
    EXPECT_EQ(ours[key], usage) << "line " << key.first << ", " << key.second;
  }
  json summary = Report(trace)["summary"];
  EXPECT_EQ(summary["definitely_lost_bytes"], 611);
  EXPECT_EQ(summary["definitely_lost_blocks"], 4);
  EXPECT_EQ(summary["indirectly_lost_bytes"], 1290);
  EXPECT_EQ(summary["indirectly_lost_blocks"], 5);
  EXPECT_EQ(summary["still_reachable_bytes"], 3338 + 750);
  EXPECT_EQ(summary["still_reachable_blocks"], 7);
  // pthread_create's thread-local storage tables (DTVs): each running
  // thread's control block points 16 bytes into its own. Their size counts
  // the modules with thread-local storage, the tracker's included: 48 bytes
  // more than under valgrind.
  EXPECT_EQ(summary["possibly_lost_blocks"], 3);

  // The same, from memcheck itself.
  if (!InPath("valgrind")) GTEST_SKIP() << "valgrind is not installed";
  ProcessResult memcheck = RunProcess(
      {"valgrind", "--leak-check=full", "--show-leak-kinds=all", "--num-callers=12", program});
  ASSERT_EQ(memcheck.exit_code, 0) << memcheck.err;
  LossRecords theirs = ParseMemcheck(memcheck.err);
  ASSERT_EQ(theirs.size(), expected_own.size() + 2) << memcheck.err;
  for (const auto& [key, usage] : theirs) {
    if (expected_own.count(key) != 0) {
      EXPECT_EQ(ours[key], usage) << "line " << key.first << ", " << key.second;
    } else {  // the DTV, allocated inside pthread_create
      EXPECT_EQ(key.second, "possible") << key.first;
      EXPECT_EQ(ours[key].blocks, usage.blocks) << key.first;
      EXPECT_EQ(ours[key].bytes, usage.bytes + 48) << key.first;
    }
  }
}

// `heaptrail snapshot PID --leaks` on a running program, single-threaded
// (rounds run by its own thread, nudged by the CLI while it waits on
// stdin) and with the tracker's writer thread: the snapshot's kinds, by
// line, then different ones at the end.
TEST_F(LeakKindsTest, SnapshotOfARunningProcessClassifiesItsBlocks) {
  auto line = [](const char* marker) {
    return LineOf("live_leaks.c", std::string("@") + marker);
  };
  auto by_line = [](const json& report) {
    std::map<std::pair<int, std::string>, Usage> records;
    for (const json& site : report["sites"]) {
      const std::string file = site["file"];
      if (file.find("live_leaks.c") == std::string::npos) continue;
      Usage& usage = records[{site["line"].get<int>(), site.value("leak_kind", "none")}];
      usage.bytes += site["size"].get<int64_t>();
      usage.blocks += site["count"].get<int64_t>();
    }
    return records;
  };
  for (const char* mode : {"", "thread"}) {
    SCOPED_TRACE(std::string("mode '") + mode + "'");
    const std::string trace = dir_ + "/live" + mode + ".trace";
    std::vector<std::string> argv = {CliPath(), "run", "--leak-kinds", "-o", trace, "--",
                                     SamplesDir() + "/live_leaks"};
    if (*mode != '\0') argv.push_back(mode);
    Interactive program(argv);
    const std::string first = program.ReadLine();
    ASSERT_EQ(first.rfind("pid ", 0), 0u) << first;
    const std::string pid = first.substr(4);
    ASSERT_EQ(program.ReadLine(), "ready");
    ProcessResult snapshot = RunProcess({CliPath(), "snapshot", pid, "--leaks"});
    EXPECT_EQ(snapshot.exit_code, 0) << snapshot.err;
    program.WriteLine("go");
    ProcessResult run = program.Finish();
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "done\n");

    json snapshots = Snapshots(trace);
    ASSERT_EQ(snapshots.size(), 1u) << snapshots.dump();
    EXPECT_EQ(snapshots[0]["source"], "signal+leaks");
    EXPECT_EQ(snapshots[0]["leak_kinds"], true);
    json at_snapshot = Report(trace, {"--at", "1", "--by", "line"});
    EXPECT_EQ(by_line(at_snapshot),
              (std::map<std::pair<int, std::string>, Usage>{
                  {{line("live_dropped"), "definite"}, {123, 1}},
                  {{line("live_global"), "reachable"}, {456, 1}},
                  {{line("live_interior"), "possible"}, {789, 1}}}));
    EXPECT_GT(at_snapshot["at_leak_kinds"]["pause_s"].get<double>(), 0);
    EXPECT_EQ(at_snapshot["at_leak_kinds"]["unclassified_blocks"], 0);
    json at_end = Report(trace, {"--at", "end", "--by", "line"});
    EXPECT_EQ(by_line(at_end), (std::map<std::pair<int, std::string>, Usage>{
                                   {{line("live_dropped"), "definite"}, {123, 1}},
                                   {{line("live_interior"), "possible"}, {789, 1}},
                                   {{line("live_later"), "definite"}, {321, 1}}}));
    // --leak-kind at that snapshot.
    json definite = Report(trace, {"--at", "1", "--leak-kind", "definite"});
    EXPECT_EQ(by_line(definite), (std::map<std::pair<int, std::string>, Usage>{
                                     {{line("live_dropped"), "definite"}, {123, 1}}}));
  }
  // A process that does not record leak kinds is not asked.
  Interactive plain({CliPath(), "run", "-o", dir_ + "/plain.trace", "--",
                     SamplesDir() + "/live_leaks"});
  const std::string first = plain.ReadLine();
  ASSERT_EQ(plain.ReadLine(), "ready");
  ProcessResult refused = RunProcess({CliPath(), "snapshot", first.substr(4), "--leaks"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--leak-kinds"), std::string::npos) << refused.err;
  plain.WriteLine("go");
  EXPECT_EQ(plain.Finish().exit_code, 0);
}

// --leak-kind downstream: the exports, a diff of two runs, the HTML report.
TEST_F(LeakKindsTest, LeakKindFiltersExportDiffAndHtml) {
  const std::string program = SamplesDir() + "/leak_kinds";
  const std::string older = dir_ + "/older.trace", newer = dir_ + "/newer.trace";
  for (const std::string& trace : {older, newer}) {
    ASSERT_EQ(RunUnderCli({program}, trace, {"HEAPTRAIL_LEAK_KINDS=1"}).exit_code, 0);
  }
  // Collapsed stacks of the definitely lost blocks: their 611 bytes.
  const std::string collapsed = dir_ + "/definite.collapsed";
  ProcessResult exported = RunProcess({CliPath(), "export", newer, "--format", "collapsed",
                                       "--leak-kind", "definite", "-o", collapsed});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::ifstream in(collapsed);
  int64_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    bytes += std::stoll(line.substr(line.rfind(' ') + 1));
    EXPECT_NE(line.find("drop_"), std::string::npos) << line;
  }
  EXPECT_EQ(bytes, 611);
  // Two runs of one program: the same lost blocks, nothing changed.
  json diff = RunJson({CliPath(), "diff", older, newer, "--leak-kind", "definite,indirect",
                       "--format", "json"});
  EXPECT_EQ(diff["older_size"], 611 + 1290);
  EXPECT_EQ(diff["newer_size"], 611 + 1290);
  for (const json& site : diff["sites"]) EXPECT_EQ(site["size_diff"], 0) << site.dump();
  // Only at the end, and only with kinds.
  EXPECT_EQ(RunProcess({CliPath(), "diff", newer, "--from", "peak", "--to", "end",
                        "--leak-kind", "definite"})
                .exit_code,
            1);
  const std::string page = dir_ + "/kinds.html";
  ProcessResult html =
      RunProcess({CliPath(), "html", newer, "--leak-kind", "possible", "-o", page});
  EXPECT_EQ(html.exit_code, 0) << html.err;
  // Growth suspects holding definitely lost blocks (growth.c's leak keeps
  // its last block in a global: 7 lost, 1 reachable): the leak; none holds
  // possibly lost ones.
  const std::string growth = dir_ + "/growth.trace";
  ASSERT_EQ(RunUnderCli({SamplesDir() + "/growth"}, growth, {"HEAPTRAIL_LEAK_KINDS=1"}).exit_code,
            0);
  json lost = RunJson({CliPath(), "growth", growth, "--leak-kind", "definite", "--format", "json"});
  ASSERT_EQ(lost["suspects"].size(), 1u) << lost.dump(1);
  EXPECT_EQ(lost["suspects"][0]["line"], LineOf("growth.c", "leaking line"));
  json possible =
      RunJson({CliPath(), "growth", growth, "--leak-kind", "possible", "--format", "json"});
  EXPECT_EQ(possible["suspects"].size(), 0u) << possible.dump(1);
  const std::string unclassified = dir_ + "/unclassified.trace";
  ASSERT_EQ(RunUnderCli({program}, unclassified).exit_code, 0);
  ProcessResult refused =
      RunProcess({CliPath(), "report", unclassified, "--leak-kind", "definite"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--leak-kinds"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace heaptrail::testing
