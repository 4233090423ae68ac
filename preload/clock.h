// The event clock: ticks of the invariant TSC, synchronized across CPUs.
//
// Ordering across threads relies on two properties (see trace_format.h):
// a tick read in a free hook precedes the release of the memory, and a tick
// read after an allocation returned follows it. rdtscp waits until every
// earlier instruction has executed (loads included), which gives the second;
// the first holds because the release's stores retire after the rdtscp.
//
// Async-signal-safe; no syscall.

#ifndef HEAPTRAIL_PRELOAD_CLOCK_H_
#define HEAPTRAIL_PRELOAD_CLOCK_H_

#include <x86intrin.h>

#include <cstdint>
#include <ctime>

namespace heaptrail::preload {

// A tick is 32 TSC cycles (~10 ns): 5 bits less of noise per event in the
// trace, and still far below the time any cross-thread handoff of an address
// takes (a cache line moving between cores is ~100 cycles), which is the
// margin the order already relies on for the TSC's synchronization.
inline constexpr int kTickShift = 5;

inline uint64_t ReadTick() {
  unsigned int aux;
  return __rdtscp(&aux) >> kTickShift;
}

inline uint64_t ReadClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + ts.tv_nsec;
}

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_CLOCK_H_
