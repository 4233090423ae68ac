// Rebuilds one global order from per-thread event streams, following the
// "Ordering" paragraph of trace_format.h.
//
// Events are buffered per thread as they are decoded. At RoundEnd(W) every
// buffered event with tick < W is released to the sink in the order
// (tick, releases before allocations, thread slot, the thread's own order);
// at kEnd or at the end of the file everything left is released the same
// way. Snapshots are pseudo-events with their own tick; at equal ticks they
// come after the heap events.
//
// An event never overtakes an earlier event of its own thread: ticks are
// clamped to be non-decreasing per thread, and an event inherits the
// "release" rank of a release that follows it on its thread at the same tick
// (so that alloc(p)@t, free(p)@t on one thread stay in that order even
// though releases sort first). Each thread's queue is therefore already
// sorted by its merge key (tick, rank), so a release merges the queues'
// releasable prefixes (a k-way merge, not a sort of the whole round) and
// keeps every thread's order.
//
// The merge is the analyzer's hottest loop after the heap replay. While an
// event waits in its queue, its tick field holds its merge key (the tick and
// the rank, as one integer): the merge reads one stream, not a second array
// of keys, and restores the tick as it emits. The sink gets the ordered
// events in batches, not one call per event.
//
// Memory is bounded by one round. A trace that never ends its rounds
// (corrupt, or a recorder bug) cannot make it grow without bound: past
// max_buffered events everything buffered is released and overflowed() is
// set, trading exact cross-thread order for bounded memory.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_REPLAY_EVENT_MERGER_H_
#define HEAPTRAIL_ANALYZER_REPLAY_EVENT_MERGER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "trace/records.h"

namespace heaptrail::analyzer {

// Receives events in the rebuilt global order, a batch at a time. The sink
// may take the vector's contents (swap it with another vector, whatever it
// holds); the merger overwrites what it gets back with the next batch.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnOrderedEvents(std::vector<Event>& events) = 0;
};

class EventMerger {
 public:
  // About 1.5 GB of buffered events: far above any real round.
  static constexpr size_t kDefaultMaxBuffered = size_t{32} << 20;
  // Events handed to the sink per call.
  static constexpr size_t kOutputBatch = 4096;
  // Ticks are clamped below this, so that (tick, rank) fits one integer. No
  // real trace comes near it (2^62 ticks of 32 cycles).
  static constexpr uint64_t kMaxTick = (uint64_t{1} << 62) - 1;

  explicit EventMerger(EventSink* sink,
                       size_t max_buffered = kDefaultMaxBuffered);
  EventMerger(const EventMerger&) = delete;
  EventMerger& operator=(const EventMerger&) = delete;

  // Heap events (kAlloc, kFree, kReallocFailed), each in its thread's order.
  void Add(std::span<const Event> events);
  // The same without a copy, for a decoder: it appends one thread's events
  // to EventsOf(thread), then calls Appended(thread).
  std::vector<Event>& EventsOf(uint32_t thread) {
    return QueueOf(thread).events;
  }
  void Appended(uint32_t thread) { KeyNewEvents(QueueOf(thread), thread); }
  void Add(const Event& event) { Add(std::span<const Event>(&event, 1)); }
  // A snapshot pseudo-event; `index` comes back in Event::size.
  void AddSnapshot(uint64_t tick, uint64_t index, bool wants_leak_kinds);

  // Releases every buffered event with tick < watermark. Released events
  // reach the sink in batches of kOutputBatch; Flush() hands on the rest.
  void ReleaseBefore(uint64_t watermark);
  // Releases everything, and flushes.
  void ReleaseAll();
  void Flush();

  size_t buffered() const { return buffered_; }
  bool overflowed() const { return overflowed_; }

 private:
  // Ranks at equal ticks: releases, then allocations, then snapshots.
  enum Rank : uint8_t { kReleaseRank = 0, kAllocRank = 1, kSnapshotRank = 2 };
  static uint64_t KeyOf(uint64_t tick, uint8_t rank) {
    return tick << 2 | rank;
  }
  static uint64_t TickOf(uint64_t key) { return key >> 2; }

  struct Queue {
    // Event::tick holds KeyOf(tick, rank) from `keyed` on: non-decreasing.
    std::vector<Event> events;
    size_t keyed = 0;        // events before keyed have their key
    size_t head = 0;         // events before head were released
    uint64_t last_tick = 0;  // for the per-thread clamp
    bool active = false;     // listed in active_
  };

  // The releasable part of a queue, in queue order (keyed events).
  struct Run {
    const Event* event;
    const Event* end;
  };

  // Buffers events of one queue: clamps their ticks and sets their keys.
  void Append(Queue& queue, uint32_t queue_index,
              std::span<const Event> events);
  // Does the same for the events past `keyed`.
  void KeyNewEvents(Queue& queue, uint32_t queue_index);
  void Release(uint64_t watermark, bool everything);
  // Sends the events of runs_ to the sink in (key, queue) order.
  void MergeRuns();
  // A run's place in the merge: its next key, ties to the lower run index
  // (runs are in queue order), as one integer; kExhausted once it is empty.
  using Order = unsigned __int128;
  static constexpr Order kExhausted = ~Order{0};
  static Order OrderOf(uint64_t key, uint32_t run) {
    return Order{key} << 32 | run;
  }
  // Runs merged by MergeInPairs(), at most; more go through the loser tree
  // (with many threads on many cores, many runs interleave).
  static constexpr size_t kMaxPairedRuns = 8;
  // Merges runs_ into the output, two runs at a time (see the .cc).
  void MergeInPairs();
  // Writes the next events of two runs by key, ties to `first`, while both
  // have events, their key stays below `bound`, and for at most `limit`
  // events; returns how many it wrote.
  static size_t MergeSteps(Run& first, Run& second, uint64_t bound,
                           Event* events, size_t limit);
  // Merges runs_ into the output, for any number of runs.
  void MergeWithLoserTree();
  // Emits what is left of one run.
  void EmitRest(Run& run);
  // Emits a keyed event with its tick restored.
  void Emit(const Event& keyed) {
    Event& event = output_[output_size_++];
    event = keyed;
    event.tick = TickOf(keyed.tick);
    if (output_size_ == kOutputBatch) Flush();
  }
  Queue& QueueOf(uint32_t queue_index);

  EventSink* sink_;
  size_t max_buffered_;
  // One queue per thread slot, and the last one for snapshots.
  std::vector<Queue> threads_;
  Queue snapshots_;
  std::vector<uint32_t> active_;  // queues holding events; snapshots = ~0u
  std::vector<Run> runs_;  // scratch for one release
  std::vector<size_t> run_ends_;  // per active_ entry: its releasable end
  // The loser tree of one merge (see MergeWithLoserTree()), by leaf or node.
  std::vector<Order> heads_;
  std::vector<uint32_t> losers_;
  std::vector<uint32_t> winners_;
  // The batch being filled for the sink: kOutputBatch events, the first
  // output_size_ of them this batch's (Emit() needs no capacity check).
  std::vector<Event> output_;
  size_t output_size_ = 0;
  uint64_t released_tick_ = 0;    // highest tick released so far
  size_t buffered_ = 0;
  bool overflowed_ = false;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPLAY_EVENT_MERGER_H_
