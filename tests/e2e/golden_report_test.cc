// Golden output: the full default text report of the `leaks` sample, compared
// line for line with tests/golden/leaks_report.txt. What changes from run to
// run is normalized here, never by the product: the trace path, the build
// and source directories, the pid, and durations/times ("0.012 s" -> "<t>").
//
// After an intended change of the report, regenerate the file with
//   HEAPTRAIL_UPDATE_GOLDEN=1 B/tests/report_test --gtest_filter='Golden*'
// and review its diff.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string Normalize(std::string text, const std::string& trace) {
  ReplaceAll(text, trace, "<trace>");
  ReplaceAll(text, SamplesDir(), "<samples>");
  ReplaceAll(text, SourceDir(), "<src>");
  text = std::regex_replace(text, std::regex("pid [0-9]+"), "pid <pid>");
  return std::regex_replace(text, std::regex("[0-9]+\\.[0-9]+ s\\b"), "<t>");
}

class GoldenReportTest : public TempDirTest {};

TEST_F(GoldenReportTest, LeaksSampleDefaultTextReport) {
  const std::string trace = dir_ + "/leaks.trace";
  const ProcessResult run = RunUnderCli({SamplesDir() + "/leaks"}, trace);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const ProcessResult report = RunProcess({CliPath(), "report", trace});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string actual = Normalize(report.out, trace);

  const std::string golden_path = SourceDir() + "/tests/golden/leaks_report.txt";
  if (const char* update = std::getenv("HEAPTRAIL_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(golden_path) << actual;
    GTEST_SKIP() << "rewrote " << golden_path;
  }
  ASSERT_TRUE(fs::exists(golden_path)) << golden_path;
  EXPECT_EQ(actual, ReadFile(golden_path));
}

}  // namespace
}  // namespace heaptrail::testing
