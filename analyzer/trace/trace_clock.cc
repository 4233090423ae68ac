// TraceClock: tick -> seconds.

#include "trace/trace_clock.h"

namespace heaptrail::analyzer {

TraceClock::TraceClock(const format::FileHeader& header)
    : kind_(static_cast<format::ClockKind>(header.clock_kind)),
      ticks_per_second_(header.ticks_per_second) {}

void TraceClock::AddSync(const ClockSyncRecord& record) {
  // A sync at tick 0 says nothing about the rate.
  if (record.tick == 0 || record.mono_ns == 0) return;
  sync_tick_ = record.tick;
  sync_ns_ = record.mono_ns;
}

double TraceClock::NanosecondsPerTick() const {
  if (kind_ == format::ClockKind::kMonotonicNs) return 1.0;
  if (sync_tick_ != 0) {
    return static_cast<double>(sync_ns_) / static_cast<double>(sync_tick_);
  }
  if (ticks_per_second_ != 0)
    return 1e9 / static_cast<double>(ticks_per_second_);
  return 1.0;  // nothing better is known: treat ticks as nanoseconds
}

double TraceClock::Seconds(uint64_t tick) const {
  return static_cast<double>(tick) * NanosecondsPerTick() * 1e-9;
}

}  // namespace heaptrail::analyzer
