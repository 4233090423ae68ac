// The recorder's settings, read once from the environment (what
// `heaptrail run` sets; also usable with a bare LD_PRELOAD).
//
// Read before constructors run, so no allocation: fixed-size fields.

#ifndef HEAPTRAIL_PRELOAD_CONFIG_H_
#define HEAPTRAIL_PRELOAD_CONFIG_H_

#include <sys/types.h>

namespace heaptrail::preload {

struct Config {
  char output_pattern[4096] = {};  // HEAPTRAIL_OUTPUT as given (or the default)
  char output[4096] = {};          // HEAPTRAIL_OUTPUT with %p expanded
  int depth = 128;                 // HEAPTRAIL_DEPTH, 1..256
  int snapshot_signal = 0;         // HEAPTRAIL_SNAPSHOT_SIGNAL (default SIGUSR2), 0 = none
  double snapshot_interval_s = 0;  // HEAPTRAIL_SNAPSHOT_INTERVAL, 0 = off
  bool follow_fork = false;        // HEAPTRAIL_FOLLOW_FORK
  bool free_stacks = false;        // HEAPTRAIL_FREE_STACKS: a stack per release too
  bool compact = true;             // HEAPTRAIL_COMPACT (0: rows): events as column streams
  bool leak_kinds = false;         // HEAPTRAIL_LEAK_KINDS: classify the blocks live at exit
  bool python_frames = true;       // HEAPTRAIL_PYTHON_FRAMES=0: native frames only
  pid_t launcher_pid = 0;          // HEAPTRAIL_LAUNCHER_PID: set by `heaptrail run`
  size_t buffer_size = 512 * 1024; // HEAPTRAIL_BUFFER_SIZE: per-thread ring bytes (tests)
};

// Parses the environment. Bad values fall back to defaults with one line on
// stderr: the program must run whatever is in its environment.
void ReadConfig(Config& config);

// Expands %p in `pattern` to `pid` (and %% to %) into `out`.
void ExpandOutputPath(const char* pattern, pid_t pid, char* out, int out_size);

// The trace path of a followed descendant `pid` (a forked child, or a program
// it exec'd): the pattern expanded for `pid` when it has a %p, else the
// traced program's path with ".<pid>" appended.
void DescendantOutputPath(const Config& config, pid_t pid, char* out, int out_size);

// Parses a signal given as a number, "USR2" or "SIGUSR2" (also RTMIN+n).
// Returns 0 when it is not a signal.
int ParseSignal(const char* text);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_CONFIG_H_
