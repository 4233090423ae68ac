// End to end: the snapshot workflow as a user runs it. A program waits on
// stdin between phases, `heaptrail snapshot PID` is sent from outside
// between them, and `heaptrail diff` gives the exact change of each line.
// Also: labels, the refusals of `heaptrail snapshot`, and a diff of two
// builds of one program.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The diff entry of `file`:`line`, or null.
json DiffSiteAt(const json& diff, const std::string& file, int line) {
  for (const json& site : diff["sites"]) {
    if (site["line"] == line && fs::path(site["file"].get<std::string>()).filename() == file) {
      return site;
    }
  }
  return json();
}

class SnapshotDiffTest : public TempDirTest {
 protected:
  // Runs `phases` under the tracker, takes a labelled snapshot after each
  // phase from outside, and returns the trace.
  std::string TracePhases() {
    std::string trace = dir_ + "/phases.trace";
    Interactive program({CliPath(), "run", "-o", trace, "--", SamplesDir() + "/phases"});
    std::string first = program.ReadLine();
    EXPECT_EQ(first.rfind("pid ", 0), 0u) << first;
    const std::string pid = first.substr(4);
    EXPECT_EQ(program.ReadLine(), "phase 1 done");
    ProcessResult snapshot = RunProcess({CliPath(), "snapshot", pid, "--label", "after phase 1"});
    EXPECT_EQ(snapshot.exit_code, 0) << snapshot.err;
    program.WriteLine("go");
    EXPECT_EQ(program.ReadLine(), "phase 2 done");
    snapshot = RunProcess({CliPath(), "snapshot", pid, "--label", "after phase 2"});
    EXPECT_EQ(snapshot.exit_code, 0) << snapshot.err;
    program.WriteLine("go");
    ProcessResult run = program.Finish();
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.err.find("trace written to " + trace), std::string::npos) << run.err;
    return trace;
  }
};

TEST_F(SnapshotDiffTest, SnapshotsFromOutsideThenDiffGivesExactLineChanges) {
  const std::string trace = TracePhases();
  json snapshots = Snapshots(trace);
  ASSERT_EQ(snapshots.size(), 2u) << snapshots.dump();
  EXPECT_EQ(snapshots[0]["label"], "after phase 1");
  EXPECT_EQ(snapshots[0]["source"], "signal");
  EXPECT_EQ(snapshots[1]["label"], "after phase 2");
  // Phase 2 adds 6000 bytes and removes 2500.
  EXPECT_EQ(snapshots[1]["live_bytes"].get<int64_t>() - snapshots[0]["live_bytes"].get<int64_t>(),
            3500);
  // No label file is left next to the trace.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".label."), std::string::npos) << entry.path();
  }

  json diff = RunJson({CliPath(), "diff", trace, "--from", "1", "--to", "2", "--format", "json"});
  EXPECT_EQ(diff["from"], "1");
  EXPECT_EQ(diff["to"], "2");
  json grow = DiffSiteAt(diff, "phases.c", LineOf("phases.c", "growing line"));
  ASSERT_FALSE(grow.is_null()) << diff.dump(1);
  EXPECT_EQ(grow["function"], "grow");
  EXPECT_EQ(grow["size"], 10000);
  EXPECT_EQ(grow["size_diff"], 6000);
  EXPECT_EQ(grow["count"], 10);
  EXPECT_EQ(grow["count_diff"], 6);
  json shrink = DiffSiteAt(diff, "phases.c", LineOf("phases.c", "shrinking line"));
  ASSERT_FALSE(shrink.is_null()) << diff.dump(1);
  EXPECT_EQ(shrink["size"], 1500);
  EXPECT_EQ(shrink["size_diff"], -2500);
  EXPECT_EQ(shrink["count"], 3);
  EXPECT_EQ(shrink["count_diff"], -5);
  json churn = DiffSiteAt(diff, "phases.c", LineOf("phases.c", "churning line"));
  ASSERT_FALSE(churn.is_null()) << diff.dump(1);
  EXPECT_EQ(churn["size"], 768);
  EXPECT_EQ(churn["size_diff"], 0);
  EXPECT_EQ(churn["count"], 3);
  EXPECT_EQ(churn["count_diff"], 0);
  // Sorted by |size_diff|: the growing line, then the shrinking one.
  ASSERT_GE(diff["sites"].size(), 2u);
  EXPECT_EQ(diff["sites"][0], grow);
  EXPECT_EQ(diff["sites"][1], shrink);

  // From the start, everything is growth; a site gone by the end has size 0.
  json from_start =
      RunJson({CliPath(), "diff", trace, "--from", "start", "--to", "1", "--format", "json"});
  json grow_1 = DiffSiteAt(from_start, "phases.c", LineOf("phases.c", "growing line"));
  EXPECT_EQ(grow_1["size_diff"], 4000);
  EXPECT_EQ(grow_1["count_diff"], 4);
  json to_end =
      RunJson({CliPath(), "diff", trace, "--from", "2", "--to", "end", "--format", "json"});
  EXPECT_EQ(DiffSiteAt(to_end, "phases.c", LineOf("phases.c", "growing line"))["size_diff"], 0);

  // Cumulative, by function: main() holds all three lines' changes.
  json cumulative = RunJson({CliPath(), "diff", trace, "--from", "1", "--to", "2", "--by",
                             "function", "--cumulative", "--format", "json"});
  EXPECT_TRUE(cumulative["cumulative"].get<bool>());
  bool main_seen = false;
  for (const json& site : cumulative["sites"]) {
    if (site["function"] == "main" && site["file"].get<std::string>().find("phases.c") != std::string::npos) {
      main_seen = true;
      EXPECT_EQ(site["size_diff"], 3500);
      EXPECT_EQ(site["count_diff"], 1);
      EXPECT_EQ(site["size"], 10000 + 1500 + 768);
    }
    if (site["function"] == "grow") {
      EXPECT_EQ(site["size_diff"], 6000);
    }
  }
  EXPECT_TRUE(main_seen) << cumulative.dump(1);

  // Text: a sign on every difference, the growing line first.
  ProcessResult text = RunProcess({CliPath(), "diff", trace, "--from", "1", "--to", "2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("+5.86 KiB          +6000"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("-2.44 KiB          -2500"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("+0 B             +0"), std::string::npos) << text.out;
  EXPECT_LT(text.out.find("+6000"), text.out.find("-2500"));
}

TEST_F(SnapshotDiffTest, DiffRefusesBadMomentsAndMixedOptions) {
  const std::string trace = TracePhases();
  ProcessResult result = RunProcess({CliPath(), "diff", trace, "--from", "1", "--to", "3"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "heaptrail: error: no snapshot 3: the trace has snapshots 1..2\n");
  result = RunProcess({CliPath(), "diff", trace, "--from", "1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("needs --from and --to"), std::string::npos) << result.err;
  result = RunProcess({CliPath(), "diff", trace, trace, "--from", "1", "--to", "2"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("with two traces, use --at"), std::string::npos) << result.err;
  result = RunProcess({CliPath(), "diff", trace, "--from", "1", "--to", "2", "--by", "stack",
                       "--cumulative"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("not by stack"), std::string::npos) << result.err;
  result = RunProcess({CliPath(), "diff", trace, dir_ + "/missing.trace"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("missing.trace"), std::string::npos) << result.err;
}

TEST_F(SnapshotDiffTest, SnapshotRefusesProcessesItCannotAsk) {
  // Not a process.
  ProcessResult result = RunProcess({CliPath(), "snapshot", "999999999"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "heaptrail: error: no process 999999999\n");

  // A process without the preload: this test itself.
  const std::string self = std::to_string(getpid());
  result = RunProcess({CliPath(), "snapshot", self});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("process " + self + " is not traced by heaptrail"), std::string::npos)
      << result.err;

  // A process of another user: this one, seen by `nobody` (when the build
  // tree is reachable by other users), or init seen by us.
  const std::vector<std::string> as_nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                              "--clear-groups"};
  std::vector<std::string> argv = {CliPath(), "snapshot", "1"};
  if (getuid() == 0) {
    std::vector<std::string> probe = as_nobody;
    probe.insert(probe.end(), {"test", "-x", CliPath()});
    if (RunProcess(probe).exit_code == 0) {
      argv = as_nobody;
      argv.insert(argv.end(), {CliPath(), "snapshot", self});
    } else {
      argv.clear();
    }
  }
  if (!argv.empty()) {
    result = RunProcess(argv);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("belongs to another user"), std::string::npos) << result.err;
  }

  // A process with the preload that writes no trace: a grandchild of
  // `heaptrail run`, not followed.
  {
    Interactive shell({CliPath(), "run", "-o", dir_ + "/sh.trace", "--", "/bin/sh", "-c",
                       "sleep 30 & echo $!; read line; kill $!"});
    const std::string grandchild = shell.ReadLine();
    ASSERT_FALSE(grandchild.empty());
    // The shell prints the pid at the fork: wait until `sleep` runs, with
    // the preload loaded again by its own loader.
    const std::string proc = "/proc/" + grandchild;
    for (int i = 0; i < 500; ++i) {
      std::error_code error;
      bool exec_done = fs::read_symlink(proc + "/exe", error).filename() == "sleep";
      if (exec_done && ReadFile(proc + "/maps").find("libheaptrail.so") != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    result = RunProcess({CliPath(), "snapshot", grandchild});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("has the heaptrail preload but writes no trace"), std::string::npos)
        << result.err;
    shell.WriteLine("");
    EXPECT_EQ(shell.Finish().exit_code, 0);
  }

  // A label too long for the trace.
  result = RunProcess({CliPath(), "snapshot", self, "--label", std::string(256, 'x')});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("the most is 255"), std::string::npos) << result.err;
}

// The same program built twice, the second time with code that shifts every
// address (-DHEAPTRAIL_SHIFT) and one more iteration of the growing loop
// (-DHEAPTRAIL_EXTRA): sites still match by function, file and line.
TEST_F(SnapshotDiffTest, DiffOfTwoBuildsMatchesSitesBySourceLine) {
  std::vector<std::string> traces;
  for (const std::string build : {"two_builds_old", "two_builds_new"}) {
    std::string trace = dir_ + "/" + build + ".trace";
    ProcessResult run = RunUnderCli({SamplesDir() + "/" + build}, trace);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    traces.push_back(trace);
  }
  json diff = RunJson({CliPath(), "diff", traces[0], traces[1], "--format", "json"});
  EXPECT_EQ(diff["from"], "end");
  EXPECT_EQ(diff["to"], "end");
  json grow = DiffSiteAt(diff, "two_builds.c", LineOf("two_builds.c", "growing line"));
  ASSERT_FALSE(grow.is_null()) << diff.dump(1);
  EXPECT_EQ(grow["size"], 4 * 4096);
  EXPECT_EQ(grow["size_diff"], 4096);
  EXPECT_EQ(grow["count"], 4);
  EXPECT_EQ(grow["count_diff"], 1);
  json steady = DiffSiteAt(diff, "two_builds.c", LineOf("two_builds.c", "steady line"));
  ASSERT_FALSE(steady.is_null()) << diff.dump(1);
  EXPECT_EQ(steady["size"], 300);
  EXPECT_EQ(steady["size_diff"], 0);
  EXPECT_EQ(steady["count_diff"], 0);
  // The old build's module is not the new one's, yet nothing is reported as
  // gone and reappeared.
  for (const json& site : diff["sites"]) {
    if (site["file"].get<std::string>().find("two_builds.c") == std::string::npos) continue;
    EXPECT_GT(site["size"].get<int64_t>(), 0) << site.dump();
  }
  // --at peak: the peak of each run.
  json at_peak =
      RunJson({CliPath(), "diff", traces[0], traces[1], "--at", "peak", "--format", "json"});
  EXPECT_EQ(at_peak["from"], "peak");
}

// One steady leak, an oscillating cache and a bounded sawtooth, with eight
// snapshots from the API: only the leak is a suspect, with its exact series.
TEST_F(SnapshotDiffTest, GrowthRanksTheSteadyLeakOnly) {
  const std::string trace = dir_ + "/growth.trace";
  ProcessResult run = RunUnderCli({SamplesDir() + "/growth"}, trace);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json growth = RunJson({CliPath(), "growth", trace, "--format", "json"});
  EXPECT_EQ(growth["intervals"], 7);
  ASSERT_EQ(growth["suspects"].size(), 1u) << growth.dump(1);
  const json& leak = growth["suspects"][0];
  EXPECT_EQ(leak["function"], "leak");
  EXPECT_EQ(leak["line"], LineOf("growth.c", "leaking line"));
  EXPECT_EQ(leak["growth"], 7168);
  EXPECT_EQ(leak["grew"], 7);
  EXPECT_EQ(leak["shrank"], 0);
  EXPECT_EQ(leak["sizes"], json({1024, 2048, 3072, 4096, 5120, 6144, 7168, 8192}));
  EXPECT_EQ(leak["counts"], json({1, 2, 3, 4, 5, 6, 7, 8}));

  ProcessResult text = RunProcess({CliPath(), "growth", trace});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("(1 of "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("+7.00 KiB          +7168     7/7     0/7   8.00 KiB  leak"),
            std::string::npos)
      << text.out;

  // Two snapshots are not a trend.
  const std::string phases = TracePhases();
  ProcessResult too_few = RunProcess({CliPath(), "growth", phases});
  EXPECT_EQ(too_few.exit_code, 1);
  EXPECT_NE(too_few.err.find("needs at least 3 snapshots"), std::string::npos) << too_few.err;
}

}  // namespace
}  // namespace heaptrail::testing
