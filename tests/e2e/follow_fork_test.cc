// End to end: children of a traced program. Without --follow-fork only the
// program is traced; with it, every forked child writes TRACE.<pid> from the
// fork on, and a program exec'd by a child is traced into its own file.
// `heaptrail run` lists every trace the run produced.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FollowForkTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    baseline_ = BaselineSummary(dir_);
  }

  // Runs `heaptrail run ARGS`; returns the traces it says it wrote.
  std::vector<std::string> Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {CliPath(), "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult run = RunProcess(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::vector<std::string> listed;
    const std::string prefix = "heaptrail: trace written to ";
    for (size_t at = run.err.find(prefix); at != std::string::npos;
         at = run.err.find(prefix, at + 1)) {
      size_t end = run.err.find('\n', at);
      listed.push_back(run.err.substr(at + prefix.size(), end - at - prefix.size()));
    }
    return listed;
  }

  // The files of dir_ whose name starts with `prefix`, sorted.
  std::vector<std::string> Files(const std::string& prefix) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename().string().rfind(prefix, 0) == 0) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // The summary of a complete trace: one that reports without a warning.
  json CompleteSummary(const std::string& trace) {
    ProcessResult report = RunProcess({CliPath(), "report", trace, "--format", "json"});
    EXPECT_EQ(report.err, "") << trace;
    return ParseJson(report)["summary"];
  }

  // allocations, allocated bytes, leaked bytes beyond the `empty` program's.
  std::vector<int64_t> Beyond(const std::string& trace) { return Figures(trace, baseline_); }

  // allocations, allocated bytes, leaked bytes.
  std::vector<int64_t> Exact(const std::string& trace) { return Figures(trace, kZero); }

  json baseline_;

 private:
  static inline const json kZero = {{"allocations", 0}, {"allocated_bytes", 0},
                                    {"leaked_bytes", 0}};

  std::vector<int64_t> Figures(const std::string& trace, const json& baseline) {
    json beyond = BeyondBaseline(CompleteSummary(trace), baseline,
                                 {"allocations", "allocated_bytes", "leaked_bytes"});
    return {beyond["allocations"].get<int64_t>(), beyond["allocated_bytes"].get<int64_t>(),
            beyond["leaked_bytes"].get<int64_t>()};
  }
};

TEST_F(FollowForkTest, ChildrenAreNotTracedWithoutFollowing) {
  const std::string trace = dir_ + "/exec.trace";
  EXPECT_EQ(Run({"-o", trace, "--", SamplesDir() + "/fork_exec"}),
            std::vector<std::string>{trace});
  EXPECT_EQ(Files("exec.trace"), std::vector<std::string>{trace});
  EXPECT_EQ(Beyond(trace), (std::vector<int64_t>{1, 111, 111}));
}

TEST_F(FollowForkTest, ForkedChildGetsItsOwnTraceFromTheForkOn) {
  const std::string trace = dir_ + "/fork.trace";
  std::vector<std::string> listed =
      Run({"--follow-fork", "-o", trace, "--", SamplesDir() + "/fork_child"});
  std::vector<std::string> files = Files("fork.trace");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], trace);
  EXPECT_EQ(listed, files);
  const std::string child = files[1];
  EXPECT_TRUE(std::all_of(child.begin() + trace.size() + 1, child.end(), ::isdigit)) << child;
  // The parent: 111 before the fork, 333 after; none of the child's blocks.
  EXPECT_EQ(Beyond(trace), (std::vector<int64_t>{2, 444, 444}));
  // The child: its own 3 x 222 only (the blocks it inherited are not its
  // allocations).
  EXPECT_EQ(Exact(child), (std::vector<int64_t>{3, 666, 666}));
  json child_header = CompleteSummary(child);
  EXPECT_FALSE(child_header["truncated"].get<bool>());
}

TEST_F(FollowForkTest, ProgramExecdByAChildIsTracedIntoItsOwnFile) {
  const std::string trace = dir_ + "/exec.trace";
  std::vector<std::string> listed =
      Run({"--follow-fork", "-o", trace, "--", SamplesDir() + "/fork_exec"});
  std::vector<std::string> files = Files("exec.trace");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(listed, files);
  EXPECT_EQ(files[0], trace);
  // The child allocated nothing between fork and exec, so it left no file:
  // exec.trace.<pid> is the program it exec'd, a whole run of its own.
  EXPECT_EQ(Beyond(trace), (std::vector<int64_t>{1, 111, 111}));
  EXPECT_EQ(Beyond(files[1]), (std::vector<int64_t>{2, 154, 154}));
}

// Forks while other threads hold the tracker's locks at random moments:
// neither side may hang, and each child's trace is complete and its own.
TEST_F(FollowForkTest, ForkAmongBusyThreads) {
  const std::string plain = dir_ + "/plain.trace";
  EXPECT_EQ(Run({"-o", plain, "--", SamplesDir() + "/fork_threads"}),
            std::vector<std::string>{plain});
  const std::string trace = dir_ + "/threads.trace";
  std::vector<std::string> listed =
      Run({"--follow-fork", "-o", trace, "--", SamplesDir() + "/fork_threads"});
  std::vector<std::string> files = Files("threads.trace");
  ASSERT_EQ(files.size(), 21u);
  EXPECT_EQ(listed.size(), 21u);
  for (const std::string& file : files) {
    if (file == trace) continue;
    json summary = CompleteSummary(file);
    EXPECT_EQ(summary["leaked_bytes"], 500) << file;
    EXPECT_EQ(summary["leaked_blocks"], 5) << file;
    EXPECT_EQ(summary["threads"], 2) << file;
    EXPECT_FALSE(summary["truncated"].get<bool>()) << file;
  }
}

TEST_F(FollowForkTest, EnvironmentVariableFollowsWithoutTheCli) {
  const std::string trace = dir_ + "/bare.trace";
  ProcessResult run =
      RunPreloaded({SamplesDir() + "/fork_child"}, trace, {"HEAPTRAIL_FOLLOW_FORK=1"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> files = Files("bare.trace");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(Beyond(files[0]), (std::vector<int64_t>{2, 444, 444}));
  EXPECT_EQ(Exact(files[1]), (std::vector<int64_t>{3, 666, 666}));
}

}  // namespace
}  // namespace heaptrail::testing
