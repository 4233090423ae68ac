// Shared subcommand plumbing.

#include "cli_common.h"

#include "progress.h"

namespace heaptrail::analyzer {

absl::StatusOr<std::unique_ptr<TraceAnalysis>> LoadTrace(
    const std::string& path, CliIo& io) {
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis;
  {
    ProgressMeter progress(io.err, io.err_is_terminal);
    AnalyzeOptions options;
    options.progress = [&progress](uint64_t done, uint64_t total) {
      progress.Update(done, total);
    };
    analysis = AnalyzeTrace(path, options);
  }
  if (analysis.ok()) {
    for (const std::string& warning : (*analysis)->warnings) {
      io.err << "heaptrail: warning: " << warning << "\n";
    }
  }
  return analysis;
}

int ReportError(CliIo& io, const absl::Status& status) {
  io.err << "heaptrail: error: " << status.message() << "\n";
  return kExitError;
}

}  // namespace heaptrail::analyzer
