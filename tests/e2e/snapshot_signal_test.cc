// End to end: the snapshot signal in harder cases. A program with its own
// handler for that signal; snapshots cut while four threads allocate and
// free without pause, which must be exact at every snapshot.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class SnapshotSignalTest : public TempDirTest {};

TEST_F(SnapshotSignalTest, ProgramWithItsOwnHandlerKeepsItAndIsWarnedOnce) {
  const std::string trace = dir_ + "/own.trace";
  ProcessResult run = RunUnderCli({SamplesDir() + "/own_handler"}, trace);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "handled 1\n");
  EXPECT_EQ(Occurrences(run.err, "the program replaced the handler of signal 12 (USR2)"), 1u)
      << run.err;
  EXPECT_EQ(Occurrences(run.err, "--snapshot-signal"), 1u) << run.err;

  // With another snapshot signal, nothing to say.
  run = RunProcess({CliPath(), "run", "-o", trace, "--snapshot-signal", "SIGUSR1", "--",
                    SamplesDir() + "/own_handler"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "handled 1\n");
  EXPECT_EQ(run.err.find("replaced the handler"), std::string::npos) << run.err;
}

// `heaptrail snapshot` on such a program: the signal goes to the program's
// handler, no snapshot is recorded, and the CLI says so instead of
// pretending.
TEST_F(SnapshotSignalTest, SnapshotCommandReportsAReplacedHandler) {
  const std::string trace = dir_ + "/own.trace";
  Interactive program({CliPath(), "run", "-o", trace, "--", SamplesDir() + "/own_handler", "wait"});
  EXPECT_EQ(program.ReadLine(), "handled 1");
  const std::string pid_line = program.ReadLine();
  ASSERT_EQ(pid_line.rfind("pid ", 0), 0u) << pid_line;
  ProcessResult snapshot =
      RunProcess({CliPath(), "snapshot", pid_line.substr(4), "--label", "lost"});
  EXPECT_EQ(snapshot.exit_code, 1);
  EXPECT_NE(snapshot.err.find("did not record the snapshot"), std::string::npos) << snapshot.err;
  EXPECT_NE(snapshot.err.find("--snapshot-signal"), std::string::npos) << snapshot.err;
  program.WriteLine("");
  ProcessResult run = program.Finish();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "handled 2\n");
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".label."), std::string::npos) << entry.path();
  }
}

// A program started with another snapshot signal: `heaptrail snapshot` reads
// it from the process's environment.
TEST_F(SnapshotSignalTest, SnapshotCommandUsesTheProcessSignal) {
  const std::string trace = dir_ + "/usr1.trace";
  Interactive program({CliPath(), "run", "-o", trace, "--snapshot-signal", "SIGUSR1", "--",
                       SamplesDir() + "/own_handler", "wait"});
  EXPECT_EQ(program.ReadLine(), "handled 1");
  const std::string pid_line = program.ReadLine();
  ASSERT_EQ(pid_line.rfind("pid ", 0), 0u) << pid_line;
  ProcessResult snapshot =
      RunProcess({CliPath(), "snapshot", pid_line.substr(4), "--label", "usr1"});
  EXPECT_EQ(snapshot.exit_code, 0) << snapshot.err;
  program.WriteLine("");
  ProcessResult run = program.Finish();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "handled 1\n");  // SIGUSR2 was not sent again
  json snapshots = Snapshots(trace);
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_EQ(snapshots[0]["label"], "usr1");
}

// Each worker's line holds 15 or 16 blocks at every instant, and 1 or 2
// batons (allocated on one thread, freed on the next) are live: a snapshot
// that mixed moments of different threads, or replayed a free before the
// malloc it follows, would show other counts. A snapshot's total must be
// the sum of its sites.
TEST_F(SnapshotSignalTest, SnapshotsAreExactCutsAcrossThreads) {
  const std::string trace = dir_ + "/threads.trace";
  ProcessResult run = RunUnderCli({SamplesDir() + "/snapshot_threads"}, trace);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json snapshots = Snapshots(trace);
  ASSERT_EQ(snapshots.size(), 24u);
  const int baton_line = LineOf("snapshot_threads.c", "baton line");
  const int first_baton_line = LineOf("snapshot_threads.c", "first baton");
  std::map<int, int> line_thread;
  for (int t = 0; t < 4; ++t) {
    line_thread[LineOf("snapshot_threads.c", "thread " + std::to_string(t) + " line")] = t;
  }
  for (const json& snapshot : snapshots) {
    const std::string id = std::to_string(snapshot["id"].get<int>());
    json document = Report(trace, {"--at", id});
    int64_t bytes = 0, blocks = 0;
    int threads_seen = 0;
    int64_t batons = 0;
    for (const json& site : document["sites"]) {
      bytes += site["size"].get<int64_t>();
      blocks += site["count"].get<int64_t>();
      if (fs::path(site["file"].get<std::string>()).filename() != "snapshot_threads.c") continue;
      if (site["line"] == baton_line || site["line"] == first_baton_line) {
        batons += site["count"].get<int64_t>();
        EXPECT_EQ(site["size"].get<int64_t>(), 4000 * site["count"].get<int64_t>());
        continue;
      }
      auto it = line_thread.find(site["line"].get<int>());
      if (it == line_thread.end()) continue;
      ++threads_seen;
      const int64_t count = site["count"].get<int64_t>();
      EXPECT_TRUE(count == 15 || count == 16) << "snapshot " << id << ": " << site.dump();
      EXPECT_EQ(site["size"].get<int64_t>(), count * 64 * (it->second + 1)) << site.dump();
    }
    EXPECT_EQ(threads_seen, 4) << "snapshot " << id;
    EXPECT_TRUE(batons == 1 || batons == 2) << "snapshot " << id << ": " << batons << " batons";
    EXPECT_EQ(bytes, snapshot["live_bytes"].get<int64_t>()) << "snapshot " << id;
    EXPECT_EQ(blocks, snapshot["live_blocks"].get<int64_t>()) << "snapshot " << id;
  }
  EXPECT_EQ(Summary(trace)["unknown_frees"], 0);
}

}  // namespace
}  // namespace heaptrail::testing
