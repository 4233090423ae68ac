// Converts trace ticks (relative to FileHeader::start_tick) to seconds since
// the start of the trace. With ClockKind::kMonotonicNs a tick is a
// nanosecond. With kTsc the rate is fitted through the start (tick 0 at
// mono 0) and the last ClockSync record, which averages the TSC rate over
// the whole run; without a usable ClockSync, the header's ticks_per_second.
//
// Thread-safety: a value.

#ifndef HEAPTRAIL_ANALYZER_TRACE_TRACE_CLOCK_H_
#define HEAPTRAIL_ANALYZER_TRACE_TRACE_CLOCK_H_

#include <cstdint>

#include "heaptrail/trace_format.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

class TraceClock {
 public:
  explicit TraceClock(const format::FileHeader& header);

  void AddSync(const ClockSyncRecord& record);

  double Seconds(uint64_t tick) const;
  double NanosecondsPerTick() const;

 private:
  format::ClockKind kind_;
  uint64_t ticks_per_second_;
  uint64_t sync_tick_ = 0;
  uint64_t sync_ns_ = 0;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_TRACE_CLOCK_H_
