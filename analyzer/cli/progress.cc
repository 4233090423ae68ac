// ProgressMeter: a carriage-return line, redrawn at most ten times a second.

#include "cli/progress.h"

#include <unistd.h>

#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {
namespace {

constexpr auto kDelay = std::chrono::seconds(1);
constexpr auto kPeriod = std::chrono::milliseconds(100);

}  // namespace

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressMeter::ProgressMeter(std::ostream& out, bool enabled)
    : out_(out), enabled_(enabled), start_(Clock::now()), last_(start_) {}

ProgressMeter::~ProgressMeter() {
  if (shown_) out_ << "\r\033[K" << std::flush;
}

void ProgressMeter::Update(uint64_t done, uint64_t total) {
  if (!enabled_ || total == 0) return;
  const Clock::time_point now = Clock::now();
  if (now - start_ < kDelay || (shown_ && now - last_ < kPeriod)) return;
  last_ = now;
  shown_ = true;
  out_ << absl::StrFormat("\rheaptrail: reading trace... %3d%%",
                          done >= total ? 100 : done * 100 / total)
       << std::flush;
}

}  // namespace heaptrail::analyzer
