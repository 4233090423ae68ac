// The `heaptrail` command line: one CLI11 app with a subcommand per task.
// main() only calls RunCli(), so the whole CLI is testable in-process.

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_H_

#include <ostream>

namespace heaptrail::analyzer {

// Parses argv and runs the chosen subcommand; returns the exit status.
// Output goes to `out`, messages and warnings to `err`; `err_is_terminal`
// allows a progress indicator on `err`. With `exit_when_done` (main's), a
// command may end the process once its output is flushed (see Finish()).
int RunCli(int argc, const char* const* argv, std::ostream& out,
           std::ostream& err, bool err_is_terminal,
           bool exit_when_done = false);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_H_
