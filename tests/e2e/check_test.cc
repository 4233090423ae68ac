// `heaptrail check` and `heaptrail run --check` as a CI pipeline uses them,
// on the leaks sample, whose numbers are known: 6144 bytes in 13 blocks live
// at the end (1000 of them in leak_small_blocks), all definitely lost, and a
// peak of 1127424 bytes.
// Exit status 0 within budget, 1 over, 2 on a usage or trace error.

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

using nlohmann::json;

class CheckTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    trace_ = dir_ + "/leaks.trace";
    ProcessResult run =
        RunUnderCli({SamplesDir() + "/leaks"}, trace_, {"HEAPTRAIL_LEAK_KINDS=1"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  ProcessResult Check(std::vector<std::string> args) {
    args.insert(args.begin(), {CliPath(), "check", trace_});
    return RunProcess(args);
  }

  std::string WriteSuppressions(const std::string& text) {
    std::string path = dir_ + "/suppressions.txt";
    std::ofstream(path) << text;
    return path;
  }

  std::string trace_;
};

TEST_F(CheckTest, LeakedBudgetIsExactToTheByte) {
  EXPECT_EQ(Check({"--max-leaked", "6144"}).exit_code, 0);
  ProcessResult over = Check({"--max-leaked", "6143"});
  EXPECT_EQ(over.exit_code, 1) << over.err;
  EXPECT_NE(
      over.out.find(
          "leaked: 6.00 KiB (6144 B), budget 6.00 KiB (6143 B): OVER BUDGET"),
      std::string::npos)
      << over.out;
  // The violation names its top sites, largest first.
  EXPECT_NE(over.out.find("leaks.c:" +
                          std::to_string(LineOf("leaks.c", "LEAK: 10 x 100"))),
            std::string::npos)
      << over.out;
  EXPECT_EQ(Check({"--max-leaked", "6KiB"}).exit_code, 0);
  EXPECT_EQ(Check({"--max-leaked", "5.99 KiB"}).exit_code, 1);
}

// memcheck's kinds: every block of the sample is definitely lost.
TEST_F(CheckTest, LeakKindBudgets) {
  EXPECT_EQ(Check({"--max-definitely-lost", "6144"}).exit_code, 0);
  ProcessResult over = Check({"--max-definitely-lost", "6143"});
  EXPECT_EQ(over.exit_code, 1) << over.err;
  EXPECT_NE(over.out.find("definitely lost: 6.00 KiB (6144 B), budget 6.00 KiB "
                          "(6143 B): OVER BUDGET"),
            std::string::npos)
      << over.out;
  EXPECT_EQ(Check({"--max-possibly-lost", "0"}).exit_code, 0);
  // Suppressed blocks count against no kind's budget either.
  std::string by_file = WriteSuppressions("leak:leaks.c\n");
  EXPECT_EQ(Check({"--max-definitely-lost", "0", "--suppressions", by_file})
                .exit_code,
            0);
  // A trace without the kinds cannot be checked against them.
  std::string unclassified = dir_ + "/unclassified.trace";
  ASSERT_EQ(RunUnderCli({SamplesDir() + "/leaks"}, unclassified).exit_code, 0);
  ProcessResult refused = RunProcess(
      {CliPath(), "check", unclassified, "--max-definitely-lost", "0"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("no leak kinds"), std::string::npos)
      << refused.err;
  EXPECT_EQ(RunProcess({CliPath(), "check", unclassified, "--max-leaked",
                        "6144"})
                .exit_code,
            0);
}

TEST_F(CheckTest, PeakBudgetAndJson) {
  EXPECT_EQ(Check({"--max-peak", "1127424"}).exit_code, 0);
  ProcessResult over = Check(
      {"--max-peak", "1 MiB", "--max-leaked", "1 MiB", "--format", "json"});
  EXPECT_EQ(over.exit_code, 1) << over.err;
  json verdict = json::parse(over.out);
  EXPECT_FALSE(verdict["within_budget"].get<bool>());
  ASSERT_EQ(verdict["budgets"].size(), 2u);
  EXPECT_EQ(verdict["budgets"][0]["name"], "leaked");
  EXPECT_EQ(verdict["budgets"][0]["value"], 6144);
  EXPECT_FALSE(verdict["budgets"][0]["over"].get<bool>());
  EXPECT_EQ(verdict["budgets"][1]["name"], "peak");
  EXPECT_EQ(verdict["budgets"][1]["value"], 1127424);
  EXPECT_EQ(verdict["budgets"][1]["limit"], 1048576);
  EXPECT_TRUE(verdict["budgets"][1]["over"].get<bool>());
  EXPECT_EQ(verdict["budgets"][1]["sites"][0]["size"],
            1048576);  // the 1 MiB block
}

TEST_F(CheckTest, SuppressedBlocksCountAgainstNoBudget) {
  std::string file = WriteSuppressions("# accepted\nleak:leak_small_blocks\n");
  ProcessResult within = Check(
      {"--max-leaked", "5144", "--suppressions", file, "--format", "json"});
  EXPECT_EQ(within.exit_code, 0) << within.err;
  json verdict = json::parse(within.out);
  EXPECT_EQ(verdict["budgets"][0]["value"], 5144);
  EXPECT_EQ(verdict["suppressed"]["bytes"], 1000);
  EXPECT_EQ(verdict["suppressed"]["blocks"], 10);
  EXPECT_EQ(verdict["suppressed"]["sites"][0]["function"], "leak_small_blocks");
  EXPECT_EQ(Check({"--max-leaked", "5143", "--suppressions", file}).exit_code,
            1);
  // By source file, by base name: everything the sample allocates.
  std::string by_file = WriteSuppressions("leak:leaks.c\n");
  EXPECT_EQ(Check({"--max-leaked", "0", "--suppressions", by_file}).exit_code,
            0);
}

TEST_F(CheckTest, UsageAndTraceErrorsExitWithTwo) {
  EXPECT_EQ(Check({}).exit_code, 2);  // no budget
  EXPECT_EQ(Check({"--max-leaked", "4 KB"}).exit_code, 2);
  EXPECT_EQ(Check({"--max-definitely-lost", "1 KB"}).exit_code, 2);
  EXPECT_EQ(Check({"--max-leaked", "1", "--suppressions", dir_ + "/missing"})
                .exit_code,
            2);
  ProcessResult bad_line = Check({"--max-leaked", "1", "--suppressions",
                                  WriteSuppressions("leak:a\nfun:b\n")});
  EXPECT_EQ(bad_line.exit_code, 2);
  EXPECT_NE(bad_line.err.find("line 2"), std::string::npos) << bad_line.err;
  EXPECT_EQ(RunProcess({CliPath(), "check", dir_ + "/missing.trace",
                        "--max-leaked", "1"})
                .exit_code,
            2);
  EXPECT_EQ(RunProcess({CliPath(), "check"}).exit_code, 2);
  EXPECT_EQ(
      RunProcess({CliPath(), "check", trace_, "--no-such-option"}).exit_code,
      2);
}

TEST_F(CheckTest, RunCheckRecordsAndChecksInOneCommand) {
  std::string trace = dir_ + "/run.trace";
  auto run = [&](const std::vector<std::string>& options,
                 const std::vector<std::string>& program) {
    std::vector<std::string> argv = {CliPath(), "run", "-o", trace};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("--");
    argv.insert(argv.end(), program.begin(), program.end());
    ProcessResult result = RunProcess(argv);
    std::remove(trace.c_str());
    return result;
  };
  const std::vector<std::string> leaks = {SamplesDir() + "/leaks"};
  EXPECT_EQ(run({"--check", "--max-leaked", "6144"}, leaks).exit_code, 0);
  ProcessResult over =
      run({"--max-leaked", "6 KiB", "--max-peak", "1 MiB"}, leaks);
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(
      over.out.find(
          "peak: 1.08 MiB (1127424 B), budget 1.00 MiB (1048576 B): OVER"),
      std::string::npos)
      << over.out;
  // A budget on a leak kind records the kinds by itself.
  EXPECT_EQ(run({"--max-definitely-lost", "6144"}, leaks).exit_code, 0);
  ProcessResult lost = run({"--max-definitely-lost", "6143"}, leaks);
  EXPECT_EQ(lost.exit_code, 1);
  EXPECT_NE(lost.out.find("definitely lost: 6.00 KiB (6144 B)"),
            std::string::npos)
      << lost.out;
  // A program that fails fails the run, whatever its trace.
  EXPECT_EQ(
      run({"--max-leaked", "1 GiB"}, {"/bin/sh", "-c", "exit 3"}).exit_code, 3);
  // Bad budgets are refused before the program starts.
  ProcessResult refused =
      run({"--max-leaked", "lots"}, {"/bin/sh", "-c", "echo ran"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.out, "");
}

}  // namespace
}  // namespace heaptrail::testing
