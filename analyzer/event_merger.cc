// EventMerger: per-thread queues, and a sort of each round's releasable
// prefix by (tick, rank, sequence).

#include "event_merger.h"

#include <algorithm>
#include <utility>

namespace heaptrail::analyzer {
namespace {

constexpr uint32_t kSnapshotQueue = ~0u;

}  // namespace

EventMerger::EventMerger(EventSink* sink, size_t max_buffered)
    : sink_(sink), max_buffered_(max_buffered) {}

EventMerger::Queue& EventMerger::QueueOf(uint32_t queue_index) {
  if (queue_index == kSnapshotQueue) return snapshots_;
  if (queue_index >= threads_.size()) threads_.resize(queue_index + 1);
  return threads_[queue_index];
}

void EventMerger::Add(Event event) {
  const uint8_t rank =
      event.type == EventType::kFree ? kReleaseRank : kAllocRank;
  Push(QueueOf(event.thread), event.thread, event, rank);
}

void EventMerger::AddSnapshot(uint64_t tick, uint64_t index) {
  Event event;
  event.type = EventType::kSnapshot;
  event.tick = tick;
  event.size = index;
  Push(snapshots_, kSnapshotQueue, event, kSnapshotRank);
}

void EventMerger::Push(Queue& queue, uint32_t queue_index, Event event,
                       uint8_t rank) {
  // Never before an earlier event of the same thread, never before what was
  // already released (a late event is replayed late, not in the past).
  event.tick = std::max({event.tick, queue.last_tick, released_tick_});
  queue.last_tick = event.tick;
  if (rank == kReleaseRank) {
    // Earlier events of this thread at the same tick must still precede this
    // release: give them its rank (they stop at the first that has it).
    for (size_t i = queue.items.size(); i > queue.head; --i) {
      Buffered& earlier = queue.items[i - 1];
      if (earlier.event.tick != event.tick || earlier.rank == kReleaseRank)
        break;
      earlier.rank = kReleaseRank;
    }
  }
  queue.items.push_back(Buffered{event, sequence_++, rank});
  if (!queue.active) {
    queue.active = true;
    active_.push_back(queue_index);
  }
  if (++buffered_ > max_buffered_) {
    overflowed_ = true;
    ReleaseAll();
  }
}

void EventMerger::ReleaseBefore(uint64_t watermark) {
  Release(watermark, false);
}

void EventMerger::ReleaseAll() { Release(0, true); }

void EventMerger::Release(uint64_t watermark, bool everything) {
  ready_.clear();
  size_t kept = 0;
  for (uint32_t queue_index : active_) {
    Queue& queue = QueueOf(queue_index);
    // Ticks are non-decreasing in a queue: the releasable part is a prefix.
    size_t end = queue.head;
    if (everything) {
      end = queue.items.size();
    } else {
      while (end < queue.items.size() &&
             queue.items[end].event.tick < watermark) {
        ++end;
      }
    }
    ready_.insert(ready_.end(), queue.items.begin() + queue.head,
                  queue.items.begin() + end);
    if (end == queue.items.size()) {
      queue.items.clear();
      queue.head = 0;
      queue.active = false;
    } else {
      queue.head = end;
      // Compact now and then so that a long-lived queue does not keep the
      // released prefix of every round.
      if (queue.head > queue.items.size() / 2) {
        queue.items.erase(queue.items.begin(),
                          queue.items.begin() + queue.head);
        queue.head = 0;
      }
      active_[kept++] = queue_index;
    }
  }
  active_.resize(kept);
  buffered_ -= ready_.size();

  std::sort(ready_.begin(), ready_.end(),
            [](const Buffered& a, const Buffered& b) {
              if (a.event.tick != b.event.tick)
                return a.event.tick < b.event.tick;
              if (a.rank != b.rank) return a.rank < b.rank;
              return a.sequence < b.sequence;
            });
  for (const Buffered& buffered : ready_) {
    released_tick_ = std::max(released_tick_, buffered.event.tick);
    sink_->OnOrderedEvent(buffered.event);
  }
  ready_.clear();
}

}  // namespace heaptrail::analyzer
