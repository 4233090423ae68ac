// `heaptrail export`: a trace's heap in other tools' formats (pprof,
// collapsed stacks, speedscope, massif).

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_EXPORT_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_EXPORT_H_

#include <CLI/CLI.hpp>

#include "cli/cli_common.h"

namespace heaptrail::analyzer {

// Registers the subcommand; when it runs, its exit status goes to *exit_code.
void AddExportCommand(CLI::App& app, CliIo& io, int* exit_code);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_EXPORT_H_
