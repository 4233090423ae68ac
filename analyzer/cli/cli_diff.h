// `heaptrail diff`: two moments of one trace, or one moment of two traces.

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_DIFF_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_DIFF_H_

#include <CLI/CLI.hpp>

#include "cli/cli_common.h"

namespace heaptrail::analyzer {

// Registers the subcommand; when it runs, its exit status goes to *exit_code.
void AddDiffCommand(CLI::App& app, CliIo& io, int* exit_code);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_DIFF_H_
