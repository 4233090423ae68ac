// Trace files are private and never reached through a planted symlink, and
// `heaptrail run` hands the program its arguments without a shell.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;

class SecurityTest : public TempDirTest {};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

TEST_F(SecurityTest, TraceIsCreatedWithMode0600WhateverTheUmask) {
  std::string trace = dir_ + "/leaks.trace";
  ProcessResult run = RunProcess(
      {"/bin/sh", "-c",
       "umask 000 && exec '" + CliPath() + "' run -o '" + trace + "' -- '" + SamplesDir() +
           "/leaks'"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(S_ISREG(ModeOf(trace)));
  EXPECT_EQ(ModeOf(trace) & 07777, 0600u);
}

// A symlink planted where the trace goes (say, to a file the victim owns)
// is neither followed nor replaced: the preload writes next to it.
TEST_F(SecurityTest, PlantedSymlinkIsNotFollowed) {
  std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "precious\n";
  std::string trace = dir_ + "/leaks.trace";
  fs::create_symlink(victim, trace);
  ProcessResult run = RunPreloaded({SamplesDir() + "/leaks"}, trace);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReadFile(victim), "precious\n");
  EXPECT_TRUE(fs::is_symlink(trace));
  EXPECT_EQ(ModeOf(trace + ".1") & 07777, 0600u);
  EXPECT_GE(Summary(trace + ".1")["leaked_bytes"].get<int64_t>(), 6144);

  // A dangling symlink: not created through either.
  std::string dangling_target = dir_ + "/created-through-link";
  std::string dangling = dir_ + "/dangling.trace";
  fs::create_symlink(dangling_target, dangling);
  run = RunPreloaded({SamplesDir() + "/leaks"}, dangling);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(fs::exists(dangling_target));
  EXPECT_TRUE(fs::exists(dangling + ".1"));
}

TEST_F(SecurityTest, CliRefusesASymlinkAtTheOutputPath) {
  std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "precious\n";
  std::string trace = dir_ + "/leaks.trace";
  fs::create_symlink(victim, trace);
  ProcessResult run = RunUnderCli({SamplesDir() + "/leaks"}, trace);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("not a regular file"), std::string::npos) << run.err;
  EXPECT_TRUE(fs::is_symlink(trace));
  EXPECT_EQ(fs::file_size(victim), 9u);
}

// Shell metacharacters reach the program verbatim: no shell ever parses
// them (no file is created, no command substituted).
TEST_F(SecurityTest, RunPassesArgumentsWithoutAShell) {
  std::string marker = dir_ + "/pwned";
  std::vector<std::string> arguments = {
      "; touch " + marker, "$(touch " + marker + ")", "`touch " + marker + "`",
      "a b\tc", "*", "'\"", "$HOME", "> " + marker, "| cat", "&& touch " + marker, ""};
  std::vector<std::string> program = {"/usr/bin/printf", "[%s]\\n"};
  program.insert(program.end(), arguments.begin(), arguments.end());
  ProcessResult run = RunUnderCli(program, dir_ + "/printf.trace");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string expected;
  for (const std::string& argument : arguments) expected += "[" + argument + "]\n";
  EXPECT_EQ(run.out, expected);
  EXPECT_FALSE(fs::exists(marker));
}

}  // namespace
}  // namespace heaptrail::testing
