// Subcommand registration. Each subcommand's options live in its own file
// (cli_*.cc); this file only wires them into one CLI11 app.

#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/cli_check.h"
#include "cli/cli_common.h"
#include "cli/cli_diff.h"
#include "cli/cli_export.h"
#include "cli/cli_growth.h"
#include "cli/cli_html.h"
#include "cli/cli_report.h"
#include "cli/cli_run.h"

namespace heaptrail::analyzer {

int RunCli(int argc, const char* const* argv, std::ostream& out,
           std::ostream& err, bool err_is_terminal, bool exit_when_done) {
  CLI::App app{"heaptrail: find where a native program's memory goes",
               "heaptrail"};
  app.require_subcommand(1);
  CliIo io{out, err, err_is_terminal, exit_when_done};
  int exit_code = 0;
  AddRunCommand(app, io, &exit_code);
  AddSnapshotCommand(app, io, &exit_code);
  AddReportCommand(app, io, &exit_code);
  AddSnapshotsCommand(app, io, &exit_code);
  AddDiffCommand(app, io, &exit_code);
  AddGrowthCommand(app, io, &exit_code);
  AddHtmlCommand(app, io, &exit_code);
  AddExportCommand(app, io, &exit_code);
  AddCheckCommand(app, io, &exit_code);
  std::vector<std::string> args(argv + 1, argv + argc);
  args = SeparateRunCommand(std::move(args));
  // CLI11 parses a reversed vector (it pops arguments from the back).
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e, out, err);
    // check's usage errors exit with 2, so that CI tells them from 1, over
    // budget.
    const bool checking = argc > 1 && std::string_view(argv[1]) == "check";
    return checking && status != 0 ? kCheckError : status;
  }
  return exit_code;
}

}  // namespace heaptrail::analyzer
