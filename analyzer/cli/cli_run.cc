// Options of `heaptrail run` and `heaptrail snapshot`; the work is in
// run_command.cc and snapshot_request.cc.

#include "cli/cli_run.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "cli/cli_check.h"
#include "cli/run_command.h"
#include "cli/signal_names.h"
#include "cli/snapshot_request.h"

namespace heaptrail::analyzer {
namespace {

// The preload keeps labels in a 256-byte slot, terminator included.
constexpr size_t kMaxLabelSize = 255;

}  // namespace

void AddRunCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto options = std::make_shared<RunOptions>();
  auto interval = std::make_shared<double>(0);
  auto depth = std::make_shared<int>(0);
  CLI::App* command = app.add_subcommand(
      "run",
      "Run a program under the tracker: heaptrail run [OPTIONS] -- PROGRAM "
      "[ARGS...]. Exit status: the program's (128+N if killed by signal N; "
      "127 if it cannot be executed; 125 if heaptrail fails before starting "
      "it); with --check, when the program succeeded, the check's (0 within "
      "budget, 1 over, 2 on a trace error)");
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
  command->add_flag("--rows", options->rows,
                    "Write events as rows, as the program's threads encode "
                    "them: less CPU in the tracker's writer thread, for a "
                    "trace up to 2x larger");
  command->add_flag(
      "--pymalloc", options->pymalloc,
      "For a Python program, keep CPython's small-object allocator: without "
      "it (the default: PYTHONMALLOC=malloc, unless the environment sets "
      "PYTHONMALLOC) every object is a block of its own size, with it objects "
      "of up to 512 bytes hide in 256 KiB arenas");
  command->add_flag(
      "--leak-kinds", options->leak_kinds,
      "Classify the blocks live at exit as valgrind's memcheck does "
      "(definitely, indirectly, possibly lost, still reachable): the tracker "
      "keeps a table of the live blocks and scans memory at exit (costs "
      "5-35% on allocation-bound benchmarks; on by itself with "
      "--max-definitely-lost or --max-possibly-lost)");
  auto check = std::make_shared<CheckArgs>();
  auto check_flag = std::make_shared<bool>(false);
  command->add_flag("--check", *check_flag,
                    "Check the program's trace against the budgets below once "
                    "it exits (as `heaptrail check`), for CI");
  AddBudgetOptions(*command, check.get());
  command
      ->add_option("command", options->command, "PROGRAM [ARGS...], after --")
      ->required();
  command->callback([options, interval, depth, interval_option, depth_option,
                     check, check_flag, &io, exit_code] {
    if (interval_option->count() > 0) options->snapshot_interval_s = *interval;
    if (depth_option->count() > 0) options->depth = *depth;
    if (!*check_flag && !HasBudget(*check)) {
      *exit_code = RunProgram(*options, io.err);
      return;
    }
    if (!check->max_definitely_lost.empty() ||
        !check->max_possibly_lost.empty()) {
      options->leak_kinds = true;
    }
    if (absl::Status valid = ValidateCheck(*check); !valid.ok()) {
      ReportError(io, valid);
      *exit_code = kCheckError;
      return;
    }
    // A program that failed fails the run whatever its trace says.
    *exit_code = RunProgram(*options, io.err, &check->trace);
    if (*exit_code != 0) return;
    if (check->trace.empty()) {
      *exit_code = kCheckError;  // RunProgram said why there is no trace
      return;
    }
    *exit_code = RunCheck(*check, io);
  });
}

std::vector<std::string> SeparateRunCommand(std::vector<std::string> args) {
  if (args.empty() || args[0] != "run") return args;
  // run's options that take a value as the next argument.
  static constexpr std::string_view kWithValue[] = {"-o",
                                                    "--output",
                                                    "--snapshot-signal",
                                                    "--snapshot-interval",
                                                    "--depth",
                                                    "--max-leaked",
                                                    "--max-definitely-lost",
                                                    "--max-possibly-lost",
                                                    "--max-peak",
                                                    "--suppressions"};
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
  auto label = std::make_shared<std::string>();
  auto signal_name = std::make_shared<std::string>();
  auto leaks = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand(
      "snapshot",
      "Ask a traced process to take a snapshot now (sends it its snapshot "
      "signal) and wait until it is recorded. Refuses a process that is not "
      "the caller's or not traced by heaptrail");
  command->add_option("pid", *pid, "Process id of the traced program")
      ->required()
      ->check(CLI::PositiveNumber);
  command->add_option("--label", *label,
                      "A label for the snapshot, shown by `heaptrail "
                      "snapshots` (up to 255 bytes)");
  command->add_option("--snapshot-signal,--signal", *signal_name,
                      "The process's snapshot signal (default: what it was "
                      "started with, HEAPTRAIL_SNAPSHOT_SIGNAL, else SIGUSR2)");
  command->add_flag(
      "--leaks", *leaks,
      "Also classify the snapshot's blocks by reachability (definitely, "
      "indirectly, possibly lost, still reachable; `report --at N` shows "
      "them), in a copy-on-write copy of the process: it pauses only to be "
      "copied. The process must run with `heaptrail run --leak-kinds`");
  command->callback([pid, label, signal_name, leaks, &io, exit_code] {
    SnapshotRequest request;
    request.label = *label;
    request.leaks = *leaks;
    if (request.label.size() > kMaxLabelSize) {
      *exit_code = ReportError(
          io, absl::InvalidArgumentError(absl::StrFormat(
                  "the label is %d bytes long; the most is %d",
                  request.label.size(), kMaxLabelSize)));
      return;
    }
    if (!signal_name->empty()) {
      const absl::StatusOr<int> signal = ParseSnapshotSignal(*signal_name);
      if (!signal.ok()) {
        *exit_code = ReportError(io, signal.status());
        return;
      }
      request.signal = *signal;
    }
    const absl::StatusOr<TracedProcess> process = FindTracedProcess(*pid);
    if (!process.ok()) {
      *exit_code = ReportError(io, process.status());
      return;
    }
    const absl::Status status = RequestSnapshot(*process, request);
    *exit_code = status.ok() ? 0 : ReportError(io, status);
  });
}

}  // namespace heaptrail::analyzer
