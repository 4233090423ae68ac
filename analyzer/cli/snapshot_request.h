// `heaptrail snapshot PID`: asks a traced process for a snapshot.
//
// The process must be the caller's (or the caller root) and traced: its
// trace file is found among its open descriptors (a file that starts with
// the trace magic; the preload keeps it at 1000 or above). The signal is the
// process's own snapshot signal (HEAPTRAIL_SNAPSHOT_SIGNAL in its
// environment) unless one is given.
//
// Every request carries a nonce, sent with sigqueue(): the CLI first writes
// the label (possibly empty) to "<trace>.label.<nonce>" (mode 0600, created
// exclusively, never through a symlink); the preload's writer reads it into
// the Snapshot record and removes it. That removal is the acknowledgement
// the CLI waits for, so when it returns the snapshot is recorded.
//
// Thread-safety: not thread-safe (signals, files).

#ifndef HEAPTRAIL_ANALYZER_CLI_SNAPSHOT_REQUEST_H_
#define HEAPTRAIL_ANALYZER_CLI_SNAPSHOT_REQUEST_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace heaptrail::analyzer {

struct TracedProcess {
  pid_t pid = 0;
  std::string trace_path;
  int snapshot_signal = 0;  // from its environment; 0: disabled there
  bool leak_kinds = false;  // HEAPTRAIL_LEAK_KINDS=1 in its environment
  bool sandboxed = false;   // under a seccomp filter (/proc/PID/status)
};

// Checks that `pid` exists, is the caller's and is traced by heaptrail.
absl::StatusOr<TracedProcess> FindTracedProcess(pid_t pid);

struct SnapshotRequest {
  std::string label;
  std::optional<int> signal;  // overrides the process's own
  int timeout_ms = 5000;      // for the acknowledgement
  // Also classify the snapshot's blocks by reachability, in a copy of the
  // process (see preload/leak_kinds.h); then the CLI also waits for the
  // "<trace>.leaks.<nonce>" file, created with the label's, to be removed,
  // nudging the process every 100 ms (a value of sigqueue() that only runs a
  // round: an idle single-threaded program runs none by itself).
  bool leaks = false;
  int leaks_timeout_ms = 600000;
};

// Sends the request and waits for the acknowledgement. NotFound or
// PermissionDenied for a process that cannot be asked; FailedPrecondition
// for --leaks in a process not recording leak kinds, or sandboxed (a
// seccomp filter may kill it for the clone); DeadlineExceeded when it did
// not answer (its handler was replaced, or it is stopped).
absl::Status RequestSnapshot(const TracedProcess& process,
                             const SnapshotRequest& request);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_SNAPSHOT_REQUEST_H_
