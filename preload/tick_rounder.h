// Decides, round by round, whose event ticks the writer may round and
// between which ticks: "Rounded ticks" in trace_format.h, which says why
// the global order survives it. A thread qualifies when its events are the
// only ones in this round and the previous one, and no snapshot request has
// begun since two rounds before; the window is the ticks strictly between
// the previous round's tick and this one's.
//
// Trivially destructible, like everything the writer uses after the
// library's destructor.
//
// Thread-safety: used by whoever holds the writer lock.

#ifndef HEAPTRAIL_PRELOAD_TICK_ROUNDER_H_
#define HEAPTRAIL_PRELOAD_TICK_ROUNDER_H_

#include <cstdint>
#include <type_traits>

#include "event_columns.h"

namespace heaptrail::preload {

class TickRounder {
 public:
  constexpr TickRounder() = default;

  // At the start of a round, once its tick (relative) is read and before
  // any ring is drained: `snapshot_requests` is SnapshotRequestsBegun(),
  // `sole_thread` the index of the only thread with events waiting, when
  // there is one (`has_sole_thread`). The window for that thread's events;
  // empty when none may be rounded.
  TickRounding Start(uint64_t round_tick, uint64_t snapshot_requests, bool has_sole_thread,
                     uint32_t sole_thread);

  // At the end of the round's drain: how many threads had events drained,
  // and the first of them.
  void End(uint32_t threads_with_events, uint32_t first_thread);

  // A forked child's writer starts anew.
  void Reset() { *this = TickRounder(); }

 private:
  uint64_t round_tick_ = 0;           // the latest Start()'s
  uint32_t previous_threads_ = 0;     // threads with events in the previous round
  uint32_t previous_thread_ = 0;      // the first of them
  uint64_t requests_seen_ = 0;
  uint32_t rounds_without_requests_ = 0;
};

static_assert(std::is_trivially_destructible_v<TickRounder>);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_TICK_ROUNDER_H_
