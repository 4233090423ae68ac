// What every trace-reading subcommand shares: the output streams, loading a
// trace with a progress indicator and its warnings, and error reporting
// ("heaptrail: error: ..." on stderr, exit status 1).
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_CLI_COMMON_H_
#define HEAPTRAIL_ANALYZER_CLI_COMMON_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trace_analysis.h"

namespace heaptrail::analyzer {

inline constexpr int kExitError = 1;

struct CliIo {
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  // enables the progress indicator
};

// Reads and analyzes a trace; prints its warnings. Errors are returned.
absl::StatusOr<std::unique_ptr<TraceAnalysis>> LoadTrace(
    const std::string& path, CliIo& io);

// Prints "heaptrail: error: <message>" and returns kExitError.
int ReportError(CliIo& io, const absl::Status& status);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_COMMON_H_
