// Options of `heaptrail run` and `heaptrail snapshot`; the work is in
// run_command.cc and kill(2).

#include "cli_run.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "run_command.h"
#include "signal_names.h"

namespace heaptrail::analyzer {

void AddRunCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto options = std::make_shared<RunOptions>();
  auto interval = std::make_shared<double>(0);
  auto depth = std::make_shared<int>(0);
  CLI::App* command = app.add_subcommand(
      "run",
      "Run a program under the tracker: heaptrail run [OPTIONS] -- PROGRAM "
      "[ARGS...]. Exit status: the program's (128+N if killed by signal N; "
      "127 if it cannot be executed; 125 if heaptrail fails before starting "
      "it)");
  command->add_option("-o,--output", options->output,
                      "Trace file; %p is replaced by the pid (default: "
                      "heaptrail.PROGRAM.%p.trace in the current directory). "
                      "An existing file is replaced");
  command->add_option(
      "--snapshot-signal", options->snapshot_signal,
      "Signal that takes a snapshot: a number or a name "
      "(SIGUSR2, USR2, RTMIN+1...), or none (default: SIGUSR2)");
  CLI::Option* interval_option = command->add_option(
      "--snapshot-interval", *interval, "Also take a snapshot every SECONDS");
  CLI::Option* depth_option = command->add_option(
      "--depth", *depth,
      "Maximum call stack depth recorded, 1..256 (default: 128)");
  command->add_flag(
      "--follow-fork", options->follow_fork,
      "Also trace the processes the program forks (one trace file each)");
  command->add_flag("--free-stacks", options->free_stacks,
                    "Also record the call stack of every release, so that "
                    "mismatched frees show where the block was released "
                    "(slower)");
  command
      ->add_option("command", options->command, "PROGRAM [ARGS...], after --")
      ->required();
  command->callback([options, interval, depth, interval_option, depth_option,
                     &io, exit_code] {
    if (interval_option->count() > 0) options->snapshot_interval_s = *interval;
    if (depth_option->count() > 0) options->depth = *depth;
    *exit_code = RunProgram(*options, io.err);
  });
}

std::vector<std::string> SeparateRunCommand(std::vector<std::string> args) {
  if (args.empty() || args[0] != "run") return args;
  // run's options that take a value as the next argument.
  static constexpr std::string_view kWithValue[] = {
      "-o", "--output", "--snapshot-signal", "--snapshot-interval", "--depth"};
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return args;
    if (arg.empty() || arg[0] != '-') {
      args.insert(args.begin() + static_cast<std::ptrdiff_t>(i), "--");
      return args;
    }
    for (std::string_view option : kWithValue) {
      if (arg == option) {
        ++i;  // skip its value
        break;
      }
    }
  }
  return args;
}

void AddSnapshotCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto pid = std::make_shared<int>(0);
  auto signal_name = std::make_shared<std::string>("SIGUSR2");
  CLI::App* command = app.add_subcommand(
      "snapshot",
      "Ask a traced process to take a snapshot (sends it the snapshot signal)");
  command->add_option("pid", *pid, "Process id of the traced program")
      ->required()
      ->check(CLI::PositiveNumber);
  command->add_option("--signal", *signal_name,
                      "The program's snapshot signal (default: SIGUSR2)");
  command->callback([pid, signal_name, &io, exit_code] {
    const absl::StatusOr<int> signal = ParseSnapshotSignal(*signal_name);
    if (!signal.ok()) {
      *exit_code = ReportError(io, signal.status());
      return;
    }
    if (::kill(*pid, *signal) != 0) {
      io.err << "heaptrail: error: cannot signal process " << *pid << ": "
             << std::strerror(errno) << "\n";
      *exit_code = kExitError;
      return;
    }
    *exit_code = 0;
  });
}

}  // namespace heaptrail::analyzer
