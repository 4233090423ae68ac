// Subcommand registration. Each subcommand's options live in its own file
// (cli_*.cc); this file only wires them into one CLI11 app.

#include "cli.h"

#include <CLI/CLI.hpp>

namespace heaptrail::analyzer {

int RunCli(int argc, char** argv) {
  CLI::App app{"heaptrail: find where a native program's memory goes"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

}  // namespace heaptrail::analyzer
