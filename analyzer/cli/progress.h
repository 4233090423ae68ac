// A progress indicator for long trace reads, on stderr: shown only when
// stderr is a terminal and reading has taken more than a second, so that
// short runs, pipes and logs never see it.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_CLI_PROGRESS_H_
#define HEAPTRAIL_ANALYZER_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <ostream>

namespace heaptrail::analyzer {

class ProgressMeter {
 public:
  // `enabled`: whether `out` is a terminal (see StderrIsTerminal()).
  ProgressMeter(std::ostream& out, bool enabled);
  ~ProgressMeter();  // clears the line if anything was shown

  void Update(uint64_t done, uint64_t total);

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_;
  Clock::time_point last_;
};

bool StderrIsTerminal();

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_CLI_PROGRESS_H_
