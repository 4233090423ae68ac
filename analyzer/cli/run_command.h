// `heaptrail run`: runs a program under the preload and reports where its
// trace went.
//
// The preload is found next to the executable (<dir of /proc/self/exe>/
// ../lib/libheaptrail.so), as in the build tree and after an install. The
// program is started with posix_spawnp (no shell: arguments are passed as
// they are) and an environment of ours plus LD_PRELOAD (prepended to any
// existing one) and the HEAPTRAIL_* settings. While it runs, SIGINT and
// SIGQUIT are ignored here, as a shell does, so that a Ctrl-C reaches the
// program and this process stays to report. The exit status is the
// program's: its exit code, or 128 + the signal that killed it; 127 when it
// cannot be executed, 125 when heaptrail itself fails before starting it.
//
// Thread-safety: RunProgram() changes signal dispositions; call it from the
// main thread only.

#ifndef HEAPTRAIL_ANALYZER_CLI_RUN_COMMAND_H_
#define HEAPTRAIL_ANALYZER_CLI_RUN_COMMAND_H_

#include <sys/types.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace heaptrail::analyzer {

inline constexpr int kExitRunFailed = 125;
inline constexpr int kExitCannotExecute = 127;

struct RunOptions {
  std::string output;           // -o: a path, "%p" = pid; empty: the default
  std::string snapshot_signal;  // a number or name, or "none"; empty: default
  std::optional<double> snapshot_interval_s;
  std::optional<int> depth;
  bool follow_fork = false;
  bool free_stacks = false;  // record the stack of every release too
  bool rows = false;         // events as rows (less writer CPU, larger trace)
  bool leak_kinds = false;   // classify the blocks live at exit
  bool pymalloc = false;     // leave CPython's small-object allocator on
  std::vector<std::string> command;  // PROGRAM ARGS...
};

// <dir of exe_path>/../lib/libheaptrail.so, or an error if it is missing.
absl::StatusOr<std::string> FindPreload(const std::string& exe_path);

// The absolute output pattern: -o made absolute against `cwd`, or
// "<cwd>/heaptrail.<program basename>.%p.trace".
std::string OutputPattern(const RunOptions& options, const std::string& cwd);

// `pattern` with %p replaced by `pid` and %% by %.
std::string ExpandPattern(std::string_view pattern, pid_t pid);

// True when a file named `name` is one a traced process writes for the
// basename pattern `pattern`: %p matches a pid, and up to two ".N" suffixes
// are allowed (a followed child's ".<pid>"; the ".1" the preload adds when
// a name is taken, e.g. by a program exec'd after a fork).
bool MatchesTracePattern(std::string_view pattern, std::string_view name);

// Validates the options and returns the environment of the program:
// `environment` (as in environ) with LD_PRELOAD and HEAPTRAIL_* set, and
// PYTHONMALLOC=malloc for a `python_program` (python_program.h) unless
// `environment` sets it or options.pymalloc.
absl::StatusOr<std::vector<std::string>> BuildEnvironment(
    const std::vector<std::string>& environment, const std::string& preload,
    const std::string& output_pattern, const RunOptions& options,
    pid_t launcher_pid, bool python_program = false);

// Runs the program; returns heaptrail's exit status. Messages go to `err`.
// `main_trace`, when given, gets the path of the program's own trace (empty
// when none was written).
int RunProgram(const RunOptions& options, std::ostream& err,
               std::string* main_trace = nullptr);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_RUN_COMMAND_H_
