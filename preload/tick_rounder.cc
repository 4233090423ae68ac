// TickRounder: the conditions of "Rounded ticks", one round at a time.

#include "tick_rounder.h"

namespace heaptrail::preload {

TickRounding TickRounder::Start(uint64_t round_tick, uint64_t snapshot_requests,
                                bool has_sole_thread, uint32_t sole_thread) {
  rounds_without_requests_ = snapshot_requests == requests_seen_ ? rounds_without_requests_ + 1 : 0;
  requests_seen_ = snapshot_requests;
  const uint64_t previous_round_tick = round_tick_;
  round_tick_ = round_tick;
  if (!has_sole_thread || rounds_without_requests_ < 2 || previous_threads_ > 1 ||
      (previous_threads_ == 1 && previous_thread_ != sole_thread)) {
    return TickRounding{};
  }
  return TickRounding{previous_round_tick, round_tick};
}

void TickRounder::End(uint32_t threads_with_events, uint32_t first_thread) {
  previous_threads_ = threads_with_events;
  previous_thread_ = first_thread;
}

}  // namespace heaptrail::preload
