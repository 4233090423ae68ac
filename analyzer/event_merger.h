// Rebuilds one global order from per-thread event streams, following the
// "Ordering" paragraph of trace_format.h.
//
// Events are buffered per thread as they are decoded. At RoundEnd(W) every
// buffered event with tick < W is released to the sink in the order
// (tick, releases before allocations, arrival sequence); at kEnd or at the
// end of the file everything left is released the same way. Snapshots are
// pseudo-events with their own tick; at equal ticks they come after the
// heap events.
//
// An event never overtakes an earlier event of its own thread: ticks are
// clamped to be non-decreasing per thread, and an event inherits the
// "release" rank of a release that follows it on its thread at the same tick
// (so that alloc(p)@t, free(p)@t on one thread stay in that order even
// though releases sort first). Each thread's queue is therefore already
// sorted by the release key, and a sort of the released events by that key
// keeps every thread's order.
//
// Memory is bounded by one round. A trace that never ends its rounds
// (corrupt, or a recorder bug) cannot make it grow without bound: past
// max_buffered events everything buffered is released and overflowed() is
// set, trading exact cross-thread order for bounded memory.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_EVENT_MERGER_H_
#define HEAPTRAIL_ANALYZER_EVENT_MERGER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "records.h"

namespace heaptrail::analyzer {

// Receives events in the rebuilt global order.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnOrderedEvent(const Event& event) = 0;
};

class EventMerger {
 public:
  // About 1.3 GB of buffered events: far above any real round.
  static constexpr size_t kDefaultMaxBuffered = size_t{32} << 20;

  explicit EventMerger(EventSink* sink,
                       size_t max_buffered = kDefaultMaxBuffered);
  EventMerger(const EventMerger&) = delete;
  EventMerger& operator=(const EventMerger&) = delete;

  // A heap event (kAlloc, kFree, kReallocFailed), in its thread's order.
  void Add(Event event);
  // A snapshot pseudo-event; `index` comes back in Event::size.
  void AddSnapshot(uint64_t tick, uint64_t index);

  // Releases every buffered event with tick < watermark.
  void ReleaseBefore(uint64_t watermark);
  // Releases everything.
  void ReleaseAll();

  size_t buffered() const { return buffered_; }
  bool overflowed() const { return overflowed_; }

 private:
  // Ranks at equal ticks: releases, then allocations, then snapshots.
  enum Rank : uint8_t { kReleaseRank = 0, kAllocRank = 1, kSnapshotRank = 2 };

  struct Buffered {
    Event event;
    uint64_t sequence;  // arrival order: the last tie-breaker
    uint8_t rank;
  };

  struct Queue {
    std::vector<Buffered> items;
    size_t head = 0;         // items before head were released
    uint64_t last_tick = 0;  // for the per-thread clamp
    bool active = false;     // listed in active_
  };

  void Push(Queue& queue, uint32_t queue_index, Event event, uint8_t rank);
  void Release(uint64_t watermark, bool everything);
  Queue& QueueOf(uint32_t queue_index);

  EventSink* sink_;
  size_t max_buffered_;
  // One queue per thread slot, and the last one for snapshots.
  std::vector<Queue> threads_;
  Queue snapshots_;
  std::vector<uint32_t> active_;  // queues holding events; snapshots = ~0u
  std::vector<Buffered> ready_;   // scratch for one release
  uint64_t sequence_ = 0;
  uint64_t released_tick_ = 0;  // highest tick released so far
  size_t buffered_ = 0;
  bool overflowed_ = false;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EVENT_MERGER_H_
