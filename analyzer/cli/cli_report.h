// `heaptrail report` and `heaptrail snapshots`: the subcommands that read
// one trace and print what it shows.

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_REPORT_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_REPORT_H_

#include <CLI/CLI.hpp>

#include "cli/cli_common.h"

namespace heaptrail::analyzer {

// Registers the subcommand; when it runs, its exit status goes to *exit_code.
void AddReportCommand(CLI::App& app, CliIo& io, int* exit_code);
void AddSnapshotsCommand(CLI::App& app, CliIo& io, int* exit_code);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_REPORT_H_
