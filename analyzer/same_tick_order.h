// Orders the events of several threads that carry the same tick, by the
// address rule of trace_format.h ("Ordering"): ticks are coarse, so one tick
// can hold a free of p on one thread and the malloc that reuses p on
// another, or a malloc of p and the free of p that another thread got it for.
//
// Events arrive in the merger's order (tick, releases first, arrival), which
// keeps every thread's order. At each new tick the previous tick's events are
// sent on: when they come from one thread, as they are; otherwise each next
// event is the earliest (in arrival order) head of a thread that is not
// waiting for another thread's event on its address:
//   - an allocation of p waits while p is live and a release of p is pending;
//   - a release of p waits while p is not live and an allocation of p is
//     pending.
// If every head waits (a trace that contradicts itself), the earliest goes.
// Liveness is tracked here for every address, since the rule needs to know
// whether p was live before the tick.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_SAME_TICK_ORDER_H_
#define HEAPTRAIL_ANALYZER_SAME_TICK_ORDER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "event_sink.h"
#include "records.h"

namespace heaptrail::analyzer {

class SameTickOrder {
 public:
  explicit SameTickOrder(EventSink* sink) : sink_(sink) {}
  SameTickOrder(const SameTickOrder&) = delete;
  SameTickOrder& operator=(const SameTickOrder&) = delete;

  // A heap event or snapshot; ticks never decrease from one call to the next.
  void Add(const Event& event);
  // Sends on everything added so far.
  void Flush();

 private:
  struct Pending {
    uint32_t allocations = 0;
    uint32_t releases = 0;
  };
  // One thread's events of the tick: indices into group_.
  struct Lane {
    uint32_t thread;
    std::vector<size_t> items;
    size_t next = 0;
  };

  void Emit(const Event& event);
  void OrderGroup();
  bool Waits(const Event& event) const;

  EventSink* sink_;
  std::vector<Event> group_;        // the current tick's heap events
  bool group_has_threads_ = false;  // more than one thread in group_
  absl::flat_hash_set<uint64_t> live_;
  // Scratch for OrderGroup().
  std::vector<Lane> lanes_;
  absl::flat_hash_map<uint64_t, Pending> pending_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_SAME_TICK_ORDER_H_
