// `heaptrail html`: one self-contained HTML file with the timeline, flame
// graphs, snapshot diffs and site tables of a trace.

#ifndef HEAPTRAIL_ANALYZER_CLI_CLI_HTML_H_
#define HEAPTRAIL_ANALYZER_CLI_CLI_HTML_H_

#include <CLI/CLI.hpp>

#include "cli/cli_common.h"

namespace heaptrail::analyzer {

// Registers the subcommand; when it runs, its exit status goes to *exit_code.
void AddHtmlCommand(CLI::App& app, CliIo& io, int* exit_code);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_CLI_HTML_H_
