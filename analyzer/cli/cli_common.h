// What every trace-reading subcommand shares: the output streams, loading a
// trace with a progress indicator and its warnings, error reporting
// ("heaptrail: error: ..." on stderr, exit status 1), the options several
// subcommands take (--by, --cumulative, --top, --format) and writing the
// output file.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_COMMON_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/trace_analysis.h"
#include "report/sites.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {

inline constexpr int kExitError = 1;

struct CliIo {
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  // enables the progress indicator
  bool exit_when_done = false;   // the process runs this command only
};

// A command's last step, with its output complete and nothing else to
// write or close: flushes `io` and, in a process that runs this command
// only, ends it with `code` at once, as compilers do, rather than free a
// trace's analysis object by object (a cc1plus report: 2 ms of ~75).
// Otherwise, or under a sanitizer that checks for leaks, returns `code`.
int Finish(CliIo& io, int code);

// Reads and analyzes a trace; prints its warnings. Errors are returned.
absl::StatusOr<std::unique_ptr<TraceAnalysis>> LoadTrace(
    const std::string& path, CliIo& io);

// A trace with its symbolizer, whose work began while the trace was read
// (SymbolWarmer). The symbolizer refers to the analysis and the source.
struct SymbolizedTrace {
  std::unique_ptr<TraceAnalysis> analysis;
  std::unique_ptr<SymbolSource> symbols;
  std::unique_ptr<StackSymbolizer> symbolizer;
};

// LoadTrace() and the libdw symbolizer; with `parallel`, the symbolizer's
// Prefetch() may use a source per thread.
absl::StatusOr<SymbolizedTrace> LoadSymbolizedTrace(const std::string& path,
                                                    CliIo& io,
                                                    bool parallel = false);

// Prints "heaptrail: error: <message>" and returns kExitError.
int ReportError(CliIo& io, const absl::Status& status);

// --by line|function|file|stack.
void AddByOption(CLI::App& command, std::string* by);
// --cumulative; `shows` says what a site then shows ("all", "the change of
// all").
void AddCumulativeFlag(CLI::App& command, bool* cumulative, const char* shows);
// --top N; `what` names the rows ("sites", "suspects"). The option tells
// whether it was given (see TopOrDefault).
CLI::Option* AddTopOption(CLI::App& command, size_t* top, const char* what);
// --format text|json.
void AddFormatOption(CLI::App& command, std::string* format);
// --alloc-fn PATTERN (repeatable): frames of allocation wrappers, credited to
// their callers (report/sites.h), set as the option is parsed.
void AddAllocFnOption(CLI::App& command);

// --leak-kind KINDS: the blocks live at the end of those kinds; parse with
// ParseLeakKinds (report/report.h).
void AddLeakKindOption(CLI::App& command, std::string* kinds);

// The rows to show: `top` when --top was given, else 10 in text and all (0)
// in JSON, which is for programs.
size_t TopOrDefault(const CLI::Option& top_option, size_t top, bool json);

// --by parsed, refused with --cumulative when it is "stack".
absl::StatusOr<GroupBy> ParseGrouping(const std::string& by, bool cumulative);

// Writes `data` to `path` (replacing it); "cannot write PATH" on failure.
absl::Status WriteOutputFile(const std::string& path, std::string_view data);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_COMMON_H_
