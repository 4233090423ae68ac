// Applies the globally ordered events to a HeapModel (and records the live
// bytes after each in a HeapTimeline), either at once on the
// calling thread or, with a worker, in batches on a thread of its own, so
// that the heap model's replay overlaps with decoding and merging. The
// order is the submission order either way, so the result is the same.
// At most kDepth batches wait: memory stays bounded whatever the trace's
// size.
//
// Thread-safety: one producer thread calls Add() and Finish(); the model
// must not be read until Finish() returned.

#ifndef HEAPTRAIL_ANALYZER_REPLAY_HEAP_REPLAYER_H_
#define HEAPTRAIL_ANALYZER_REPLAY_HEAP_REPLAYER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "replay/event_merger.h"
#include "replay/heap_model.h"
#include "replay/heap_timeline.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

// Its own cache lines: the worker reads it for every batch while the
// producer's hot state lies next to it (see TraceAnalysis).
class alignas(kCacheLine) HeapReplayer {
 public:
  // 128 batches (16 MiB at most): with fewer, on 2 cores shared with the
  // prefetcher and the symbol warmer, the producer and the replay each spent
  // ~90 ms of a 0.3 s report waiting for the other (16: 0.305 s, 128:
  // 0.285 s, measured).
  static constexpr size_t kDepth = 128;
  // Empty batches the worker keeps ready for the producer while it waits.
  static constexpr size_t kSpareAhead = 4;

  // Replays into `model` and `timeline`; on a worker thread when `worker`.
  HeapReplayer(HeapModel& model, HeapTimeline& timeline, bool worker);
  // Finishes (see Finish()).
  ~HeapReplayer();
  HeapReplayer(const HeapReplayer&) = delete;
  HeapReplayer& operator=(const HeapReplayer&) = delete;

  // Replays heap events and snapshot pseudo-events (Event::size = record
  // index). Takes the vector's contents without copying them: it comes back
  // holding a recycled batch (stale events, for the caller to overwrite).
  void Add(std::vector<Event>& events);

  // Replays everything added so far and stops the worker.
  void Finish();

 private:
  void Apply(std::span<const Event> events);
  void Work();

  HeapModel& model_;
  HeapTimeline& timeline_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<Event>> ready_;     // guarded by mutex_
  std::vector<std::vector<Event>> spare_;    // emptied batches; mutex_
  bool closed_ = false;                      // no more batches; mutex_
  std::thread worker_;  // last: starts after the rest
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPLAY_HEAP_REPLAYER_H_
