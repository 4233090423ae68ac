// What the end-to-end tests share: a temporary directory per test, running
// a program under the tracker (through the CLI or a bare LD_PRELOAD),
// reading its report as JSON, subtracting what the runtime allocates by
// itself, and finding a sample's source line by the marker comment on it
// (so tests never hard-code line numbers).

#ifndef HEAPTRAIL_TESTS_E2E_TRACING_H_
#define HEAPTRAIL_TESTS_E2E_TRACING_H_

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace heaptrail::testing {

// Paths of the build under test.
const std::string& CliPath();            // B/bin/heaptrail
const std::string& PreloadPath();        // B/lib/libheaptrail.so
const std::string& SamplesDir();         // the built samples
const std::string& SourceDir();          // the source tree
const std::string& SamplesSourceDir();   // samples/ in the source tree

// A test with a fresh temporary directory, dir_, removed after it.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string dir_;
};

// `heaptrail run -o TRACE -- PROGRAM...`.
ProcessResult RunUnderCli(const std::vector<std::string>& program, const std::string& trace,
                          const std::vector<std::string>& extra_env = {});

// The program with LD_PRELOAD and HEAPTRAIL_OUTPUT=TRACE only, as a user
// without the CLI would run it.
ProcessResult RunPreloaded(const std::vector<std::string>& program, const std::string& trace,
                           const std::vector<std::string>& extra_env = {});

// What `result` printed on stdout, as JSON; records a test failure (and
// returns null) unless it exited with 0 and printed valid JSON.
nlohmann::json ParseJson(const ProcessResult& result);

// Runs `argv` and parses its output (see ParseJson).
nlohmann::json RunJson(const std::vector<std::string>& argv);

// `heaptrail report TRACE --format json --top 0` plus `args`; records a test
// failure (and returns null) unless it succeeds with valid JSON.
nlohmann::json Report(const std::string& trace, const std::vector<std::string>& args = {});

// The "summary" of Report(trace).
nlohmann::json Summary(const std::string& trace);

// The "snapshots" of `heaptrail snapshots TRACE --format json`.
nlohmann::json Snapshots(const std::string& trace);

// The summary of the `empty` sample run under `heaptrail run` (its trace in
// `dir`, removed after): what the runtime allocates by itself under the
// tracker (libstdc++'s emergency exception pool, for one). Its report must
// be complete, without a warning.
nlohmann::json BaselineSummary(const std::string& dir);

// summary[key] - baseline[key] for each of `keys`: what a program's own
// code allocated, once the runtime's share (BaselineSummary) is taken off.
nlohmann::json BeyondBaseline(const nlohmann::json& summary, const nlohmann::json& baseline,
                              const std::vector<std::string>& keys);

// The 1-based line of `source` (under samples/) whose code is followed by
// the comment `marker` ("// marker", "/* marker */" or "# marker"); fails the test when
// there is not exactly one.
int LineOf(const std::string& source, const std::string& marker);

// True when `program` is an executable in one of PATH's directories.
bool InPath(const std::string& program);

struct SiteTotals {
  int64_t size = 0;
  int64_t count = 0;
  bool operator==(const SiteTotals&) const = default;
  friend void PrintTo(const SiteTotals& totals, std::ostream* out) {
    *out << totals.size << " bytes in " << totals.count << " blocks";
  }
};

// The live size and count that `report` (by line) attributes to
// `file_name:line` (file_name matched against the end of the path).
SiteTotals SiteAt(const nlohmann::json& report, const std::string& file_name, int line);

// The site of `source`'s line marked `marker`, at `at` (end, peak or a
// snapshot id) in `trace`.
SiteTotals MarkedSite(const std::string& trace, const std::string& source,
                      const std::string& marker, const std::string& at = "end");

// Names of the regular files in `directory`, sorted.
std::vector<std::string> FilesIn(const std::string& directory);

// The whole content of a file; empty when it cannot be read.
std::string ReadFile(const std::string& path);

// How many times `needle` occurs in `text` (overlaps included).
size_t Occurrences(const std::string& text, const std::string& needle);

// heaptrack's count of allocation calls ("calls to allocation functions")
// for a run of `program` with `extra_env`; its output goes to
// `output_prefix`.zst, removed after. Records a test failure (and returns
// -1) when heaptrack fails or prints no count.
int64_t HeaptrackCount(const std::vector<std::string>& program, const std::string& output_prefix,
                       const std::vector<std::string>& extra_env = {});

}  // namespace heaptrail::testing

#endif  // HEAPTRAIL_TESTS_E2E_TRACING_H_
