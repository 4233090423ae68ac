// The `heaptrail` command line: one CLI11 app with a subcommand per task.
// main() only calls RunCli(), so the whole CLI is testable in-process.

#ifndef HEAPTRAIL_ANALYZER_CLI_H_
#define HEAPTRAIL_ANALYZER_CLI_H_

namespace heaptrail::analyzer {

// Parses argv and runs the chosen subcommand; returns the exit status.
int RunCli(int argc, char** argv);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_H_
