// Subcommand registration. Each subcommand's options live in its own file
// (cli_*.cc); this file only wires them into one CLI11 app.

#include "cli.h"

#include <CLI/CLI.hpp>

#include "cli_common.h"
#include "cli_report.h"
#include "cli_run.h"

namespace heaptrail::analyzer {

int RunCli(int argc, const char* const* argv, std::ostream& out,
           std::ostream& err, bool err_is_terminal) {
  CLI::App app{"heaptrail: find where a native program's memory goes"};
  app.require_subcommand(1);
  CliIo io{out, err, err_is_terminal};
  int exit_code = 0;
  AddRunCommand(app, io, &exit_code);
  AddSnapshotCommand(app, io, &exit_code);
  AddReportCommand(app, io, &exit_code);
  AddSnapshotsCommand(app, io, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err);
  }
  return exit_code;
}

}  // namespace heaptrail::analyzer
