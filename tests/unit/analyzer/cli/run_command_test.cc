// The testable parts of `heaptrail run`: output naming, trace file
// patterns, the program's environment, signal names.

#include "cli/run_command.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "cli/cli_run.h"
#include "cli/python_program.h"
#include "cli/signal_names.h"
#include "cli/static_program.h"
#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

TEST(RunCommandTest, DefaultOutputIsNamedAfterTheProgramInTheCwd) {
  RunOptions options;
  options.command = {"/usr/bin/python3", "-c", "pass"};
  EXPECT_EQ(OutputPattern(options, "/home/u"),
            "/home/u/heaptrail.python3.%p.trace");
  options.command = {"./odd%name"};
  EXPECT_EQ(OutputPattern(options, "/w"), "/w/heaptrail.odd%%name.%p.trace");
}

TEST(RunCommandTest, OutputIsMadeAbsolute) {
  RunOptions options;
  options.command = {"prog"};
  options.output = "out/t.trace";
  EXPECT_EQ(OutputPattern(options, "/w"), "/w/out/t.trace");
  options.output = "/tmp/x.%p.trace";
  EXPECT_EQ(OutputPattern(options, "/w"), "/tmp/x.%p.trace");
}

TEST(RunCommandTest, ExpandsPidAndPercent) {
  EXPECT_EQ(ExpandPattern("/t/a.%p.trace", 1234), "/t/a.1234.trace");
  EXPECT_EQ(ExpandPattern("/t/100%%.%p", 7), "/t/100%.7");
  EXPECT_EQ(ExpandPattern("/t/plain", 7), "/t/plain");
}

TEST(RunCommandTest, MatchesTheFilesATracedProcessWrites) {
  EXPECT_TRUE(MatchesTracePattern("heaptrail.prog.%p.trace",
                                  "heaptrail.prog.42.trace"));
  EXPECT_TRUE(MatchesTracePattern("heaptrail.prog.%p.trace",
                                  "heaptrail.prog.42.trace.1"));
  EXPECT_FALSE(
      MatchesTracePattern("heaptrail.prog.%p.trace", "heaptrail.prog..trace"));
  EXPECT_FALSE(MatchesTracePattern("heaptrail.prog.%p.trace",
                                   "heaptrail.prog.4x.trace"));
  EXPECT_FALSE(MatchesTracePattern("heaptrail.prog.%p.trace",
                                   "heaptrail.prog.42.trace."));
  EXPECT_TRUE(MatchesTracePattern("out.trace", "out.trace"));
  EXPECT_TRUE(MatchesTracePattern("out.trace", "out.trace.3"));
  EXPECT_FALSE(MatchesTracePattern("out.trace", "out.trace.x"));
  // A followed child's trace, and that of a program it exec'd.
  EXPECT_TRUE(MatchesTracePattern("out.trace", "out.trace.1234.1"));
  EXPECT_FALSE(MatchesTracePattern("out.trace", "out.trace.1234.1.2"));
  EXPECT_FALSE(MatchesTracePattern("out.trace", "out.trace.1234."));
  EXPECT_FALSE(MatchesTracePattern("out.trace", "out.trace.label.77"));
  EXPECT_FALSE(MatchesTracePattern("out.trace", "out.traces"));
  EXPECT_TRUE(MatchesTracePattern("a%%b.%p", "a%b.9"));
}

std::vector<std::string> Env(const RunOptions& options,
                             const std::vector<std::string>& environment) {
  absl::StatusOr<std::vector<std::string>> env = BuildEnvironment(
      environment, "/opt/lib/libheaptrail.so", "/w/t.%p.trace", options, 99);
  EXPECT_TRUE(env.ok()) << env.status();
  return env.ok() ? *env : std::vector<std::string>();
}

bool Has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

// A Python program gets PYTHONMALLOC=malloc, unless the environment chose
// an allocator or --pymalloc keeps pymalloc; other programs get nothing.
TEST(RunCommandTest, PythonProgramsAllocateEachObjectWithMalloc) {
  RunOptions options;
  options.command = {"python3"};
  auto env = [&](const std::vector<std::string>& environment, bool python) {
    absl::StatusOr<std::vector<std::string>> built =
        BuildEnvironment(environment, "/p.so", "/t.trace", options, 1, python);
    EXPECT_TRUE(built.ok()) << built.status();
    return built.ok() ? *built : std::vector<std::string>();
  };
  EXPECT_TRUE(Has(env({}, true), "PYTHONMALLOC=malloc"));
  EXPECT_FALSE(Has(env({}, false), "PYTHONMALLOC=malloc"));
  std::vector<std::string> chosen = env({"PYTHONMALLOC=pymalloc_debug"}, true);
  EXPECT_TRUE(Has(chosen, "PYTHONMALLOC=pymalloc_debug"));
  EXPECT_FALSE(Has(chosen, "PYTHONMALLOC=malloc"));
  options.pymalloc = true;
  EXPECT_FALSE(Has(env({}, true), "PYTHONMALLOC=malloc"));
}

TEST(RunCommandTest, PythonProgramsByNameOrScriptLine) {
  const std::string dir = ::testing::TempDir();
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  EXPECT_TRUE(IsPythonProgram("/usr/bin/python3.11"));
  EXPECT_TRUE(IsPythonProgram("python"));
  EXPECT_TRUE(IsPythonProgram(write("tool", "#!/usr/bin/env python3\nprint(1)\n")));
  EXPECT_FALSE(IsPythonProgram(write("shell", "#!/bin/sh\necho python\n")));
  EXPECT_FALSE(IsPythonProgram("/usr/bin/perl"));
  EXPECT_FALSE(IsPythonProgram(dir + "/missing"));
}

TEST(RunCommandTest, EnvironmentAddsThePreloadAndSettings) {
  RunOptions options;
  options.command = {"prog"};
  options.snapshot_signal = "usr1";
  options.snapshot_interval_s = 0.5;
  options.depth = 64;
  options.follow_fork = true;
  options.free_stacks = true;
  const std::vector<std::string> env = Env(
      options, {"PATH=/bin", "LD_PRELOAD=/lib/other.so", "HEAPTRAIL_DEPTH=3"});
  EXPECT_TRUE(Has(env, "PATH=/bin"));
  EXPECT_TRUE(Has(env, "LD_PRELOAD=/opt/lib/libheaptrail.so:/lib/other.so"));
  EXPECT_TRUE(Has(env, "HEAPTRAIL_OUTPUT=/w/t.%p.trace"));
  EXPECT_TRUE(Has(env, "HEAPTRAIL_SNAPSHOT_SIGNAL=" + std::to_string(SIGUSR1)));
  EXPECT_TRUE(Has(env, "HEAPTRAIL_SNAPSHOT_INTERVAL=0.5"));
  EXPECT_TRUE(Has(env, "HEAPTRAIL_DEPTH=64"));
  EXPECT_FALSE(Has(env, "HEAPTRAIL_DEPTH=3"));
  EXPECT_TRUE(Has(env, "HEAPTRAIL_FOLLOW_FORK=1"));
  EXPECT_TRUE(Has(env, "HEAPTRAIL_FREE_STACKS=1"));
  EXPECT_TRUE(Has(env, "HEAPTRAIL_LAUNCHER_PID=99"));
  EXPECT_EQ(std::count_if(env.begin(), env.end(),
                          [](const std::string& e) {
                            return e.starts_with("LD_PRELOAD=");
                          }),
            1);
}

TEST(RunCommandTest, EnvironmentWithoutAnExistingPreload) {
  RunOptions options;
  options.command = {"prog"};
  const std::vector<std::string> env = Env(options, {"LD_PRELOAD="});
  EXPECT_TRUE(Has(env, "LD_PRELOAD=/opt/lib/libheaptrail.so"));
  EXPECT_FALSE(std::any_of(env.begin(), env.end(), [](const std::string& e) {
    return e.starts_with("HEAPTRAIL_FOLLOW_FORK") ||
           e.starts_with("HEAPTRAIL_FREE_STACKS") ||
           e.starts_with("HEAPTRAIL_DEPTH");
  }));
}

TEST(RunCommandTest, InvalidSettingsAreErrors) {
  RunOptions options;
  options.command = {"prog"};
  options.snapshot_signal = "SIGKILL";
  EXPECT_FALSE(BuildEnvironment({}, "p", "o", options, 1).ok());
  options.snapshot_signal = "";
  options.depth = 0;
  EXPECT_FALSE(BuildEnvironment({}, "p", "o", options, 1).ok());
  options.depth.reset();
  options.snapshot_interval_s = -1;
  EXPECT_FALSE(BuildEnvironment({}, "p", "o", options, 1).ok());
}

TEST(RunCommandTest, MissingPreloadIsAnError) {
  absl::StatusOr<std::string> preload =
      FindPreload("/nonexistent/bin/heaptrail");
  ASSERT_FALSE(preload.ok());
  EXPECT_NE(preload.status().message().find(
                "/nonexistent/bin/../lib/libheaptrail.so"),
            std::string::npos);
}

TEST(SignalNamesTest, ParsesNumbersAndNames) {
  EXPECT_EQ(*ParseSnapshotSignal("12"), 12);
  EXPECT_EQ(*ParseSnapshotSignal("SIGUSR2"), SIGUSR2);
  EXPECT_EQ(*ParseSnapshotSignal("USR2"), SIGUSR2);
  EXPECT_EQ(*ParseSnapshotSignal("usr1"), SIGUSR1);
  EXPECT_EQ(*ParseSnapshotSignal("SIGRTMIN+2"), SIGRTMIN + 2);
  EXPECT_EQ(*ParseSnapshotSignal("RTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(*ParseSnapshotSignal("rtmin"), SIGRTMIN);
}

TEST(SignalNamesTest, RejectsWhatCannotTakeASnapshot) {
  EXPECT_FALSE(ParseSnapshotSignal("KILL").ok());
  EXPECT_FALSE(ParseSnapshotSignal("SIGSTOP").ok());
  EXPECT_FALSE(ParseSnapshotSignal("0").ok());
  EXPECT_FALSE(ParseSnapshotSignal("999").ok());
  EXPECT_FALSE(ParseSnapshotSignal("SIGFOO").ok());
  EXPECT_FALSE(ParseSnapshotSignal("RTMIN+999").ok());
  EXPECT_FALSE(ParseSnapshotSignal("").ok());
}

}  // namespace
}  // namespace heaptrail::analyzer

namespace heaptrail::analyzer {
namespace {

using Args = std::vector<std::string>;

TEST(SeparateRunCommandTest, InsertsTheSeparatorBeforeTheProgram) {
  EXPECT_EQ(SeparateRunCommand({"run", "ls", "-l"}),
            (Args{"run", "--", "ls", "-l"}));
  EXPECT_EQ(
      SeparateRunCommand({"run", "-o", "x.trace", "--follow-fork", "ls", "-l"}),
      (Args{"run", "-o", "x.trace", "--follow-fork", "--", "ls", "-l"}));
  EXPECT_EQ(SeparateRunCommand({"run", "--depth", "8", "prog"}),
            (Args{"run", "--depth", "8", "--", "prog"}));
  EXPECT_EQ(SeparateRunCommand({"run", "--output=x", "prog", "--", "a"}),
            (Args{"run", "--output=x", "--", "prog", "--", "a"}));
}

TEST(SeparateRunCommandTest, LeavesOtherCommandLinesAlone) {
  EXPECT_EQ(SeparateRunCommand({"run", "--", "ls", "-l"}),
            (Args{"run", "--", "ls", "-l"}));
  EXPECT_EQ(SeparateRunCommand({"run", "--help"}), (Args{"run", "--help"}));
  EXPECT_EQ(SeparateRunCommand({"report", "t", "--at", "end"}),
            (Args{"report", "t", "--at", "end"}));
  EXPECT_EQ(SeparateRunCommand({}), Args{});
}

// Debian's ldconfig is linked statically; this test and ls are not.
TEST(StaticProgramTest, TellsAStaticExecutableFromOtherFiles) {
  EXPECT_TRUE(IsStaticallyLinked("/usr/sbin/ldconfig"));
  EXPECT_FALSE(IsStaticallyLinked("/proc/self/exe"));
  EXPECT_FALSE(IsStaticallyLinked("/usr/bin/ls"));
  EXPECT_FALSE(IsStaticallyLinked("/etc/passwd"));
  EXPECT_FALSE(IsStaticallyLinked("/nonexistent"));
}

TEST(StaticProgramTest, FindsProgramsAsPosixSpawnpDoes) {
  EXPECT_EQ(FindProgram("./relative/name"), "./relative/name");
  std::string sh = FindProgram("sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_EQ(sh.substr(sh.size() - 3), "/sh");
  EXPECT_EQ(FindProgram("no-such-program-heaptrail"), "");
}

}  // namespace
}  // namespace heaptrail::analyzer
