// `heaptrail run` and `heaptrail snapshot`: the subcommands that act on
// processes rather than trace files.

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_RUN_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_RUN_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/cli_common.h"

namespace heaptrail::analyzer {

void AddRunCommand(CLI::App& app, CliIo& io, int* exit_code);

// `args` (argv without the program name) with "--" inserted before the
// program of a `run` command that lacks one, so that `heaptrail run ls -l`
// passes -l to ls instead of rejecting it as an option of run.
std::vector<std::string> SeparateRunCommand(std::vector<std::string> args);
void AddSnapshotCommand(CLI::App& app, CliIo& io, int* exit_code);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_RUN_H_
