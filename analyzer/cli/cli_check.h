// `heaptrail check`, the CI gate: a trace's leaks and peak against budgets,
// with suppressions; and the same check run by `heaptrail run --check`.
//
// Exit status: 0 within every budget, 1 over one (each violation printed
// with its top sites), 2 on a usage or trace error.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_CHECK_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_CHECK_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/cli_common.h"

namespace heaptrail::analyzer {

inline constexpr int kCheckOverBudget = 1;
inline constexpr int kCheckError = 2;

struct CheckArgs {
  std::string trace;
  std::string max_leaked;  // sizes as written ("4 KiB"); empty: no budget
  std::string max_peak;
  std::string max_definitely_lost;
  std::string max_possibly_lost;
  std::vector<std::string> suppressions;  // files
  std::string format = "text";
};

// Adds the budget and suppression options (--max-*, --suppressions) to a
// command: check's, and run's with --check.
void AddBudgetOptions(CLI::App& command, CheckArgs* args);

// True when a budget option was given.
bool HasBudget(const CheckArgs& args);

// The options' errors, found before any trace is read: `run --check`
// refuses them before it starts the program.
absl::Status ValidateCheck(const CheckArgs& args);

// Checks args.trace; returns the exit status above.
int RunCheck(const CheckArgs& args, CliIo& io);

// Registers the subcommand; when it runs, its exit status goes to *exit_code.
void AddCheckCommand(CLI::App& app, CliIo& io, int* exit_code);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_CHECK_H_
