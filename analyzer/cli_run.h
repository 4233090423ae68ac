// `heaptrail run` and `heaptrail snapshot`: the subcommands that act on
// processes rather than trace files.

#ifndef HEAPTRAIL_ANALYZER_CLI_RUN_H_
#define HEAPTRAIL_ANALYZER_CLI_RUN_H_

#include <CLI/CLI.hpp>

#include "cli_common.h"

namespace heaptrail::analyzer {

void AddRunCommand(CLI::App& app, CliIo& io, int* exit_code);
void AddSnapshotCommand(CLI::App& app, CliIo& io, int* exit_code);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_RUN_H_
