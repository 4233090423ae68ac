// Parses a signal given on the command line: a number ("12"), a name with or
// without "SIG" in any case ("SIGUSR2", "usr2"), or a real-time signal
// relative to its bounds ("RTMIN+3", "SIGRTMAX-1").
//
// Thread-safety: pure functions.

#ifndef HEAPTRAIL_ANALYZER_CLI_SIGNAL_NAMES_H_
#define HEAPTRAIL_ANALYZER_CLI_SIGNAL_NAMES_H_

#include <string_view>

#include "absl/status/statusor.h"

namespace heaptrail::analyzer {

// The signal number. SIGKILL and SIGSTOP are refused (they cannot be caught,
// so they cannot take a snapshot), as are numbers outside 1..SIGRTMAX.
absl::StatusOr<int> ParseSnapshotSignal(std::string_view text);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_SIGNAL_NAMES_H_
