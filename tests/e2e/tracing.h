// What the end-to-end tests of life cycle, faults, security and real
// programs share: running a program under the tracker (through the CLI or a
// bare LD_PRELOAD), reading its report, and finding a sample's source line
// by the marker comment on it (so tests never hard-code line numbers).

#ifndef HEAPTRAIL_TESTS_E2E_TRACING_H_
#define HEAPTRAIL_TESTS_E2E_TRACING_H_

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
const std::string& SamplesSourceDir();   // samples/ in the source tree

// `heaptrail run -o TRACE -- PROGRAM...`.
ProcessResult RunUnderCli(const std::vector<std::string>& program, const std::string& trace,
                          const std::vector<std::string>& extra_env = {});

// The program with LD_PRELOAD and HEAPTRAIL_OUTPUT=TRACE only, as a user
// without the CLI would run it.
ProcessResult RunPreloaded(const std::vector<std::string>& program, const std::string& trace,
                           const std::vector<std::string>& extra_env = {});

// `heaptrail report TRACE --format json --top 0` plus `args`; records a test
// failure (and returns null) unless it succeeds with valid JSON.
nlohmann::json Report(const std::string& trace, const std::vector<std::string>& args = {});

// The 1-based line of `source` (under samples/) whose code is followed by
// the comment `marker` ("// marker" or "/* marker */"); fails the test when
// there is not exactly one.
int LineOf(const std::string& source, const std::string& marker);

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

}  // namespace heaptrail::testing

#endif  // HEAPTRAIL_TESTS_E2E_TRACING_H_
