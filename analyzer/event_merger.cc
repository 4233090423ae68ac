// EventMerger: per-thread queues, and a merge of each round's releasable
// prefixes by (tick, rank, queue).

#include "event_merger.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace heaptrail::analyzer {
namespace {

constexpr uint32_t kSnapshotQueue = ~0u;

}  // namespace

EventMerger::EventMerger(EventSink* sink, size_t max_buffered)
    : sink_(sink), max_buffered_(max_buffered) {
  output_.resize(kOutputBatch);
}

EventMerger::Queue& EventMerger::QueueOf(uint32_t queue_index) {
  if (queue_index == kSnapshotQueue) return snapshots_;
  if (queue_index >= threads_.size()) threads_.resize(queue_index + 1);
  return threads_[queue_index];
}

void EventMerger::Add(std::span<const Event> events) {
  while (!events.empty()) {
    // A run of one thread's events (a decoded record is one run).
    const uint32_t queue_index = events.front().thread;
    size_t count = 1;
    while (count < events.size() && events[count].thread == queue_index)
      ++count;
    Append(QueueOf(queue_index), queue_index, events.first(count));
    events = events.subspan(count);
  }
}

void EventMerger::AddSnapshot(uint64_t tick, uint64_t index) {
  Event event;
  event.type = EventType::kSnapshot;
  event.tick = tick;
  event.size = index;
  Append(snapshots_, kSnapshotQueue, std::span<const Event>(&event, 1));
}

void EventMerger::Append(Queue& queue, uint32_t queue_index,
                         std::span<const Event> events) {
  queue.events.insert(queue.events.end(), events.begin(), events.end());
  KeyNewEvents(queue, queue_index);
}

void EventMerger::KeyNewEvents(Queue& queue, uint32_t queue_index) {
  // Never before an earlier event of the same thread, never before what was
  // already released (a late event is replayed late, not in the past).
  uint64_t floor = std::max(queue.last_tick, released_tick_);
  const size_t first = queue.keys.size();
  const size_t count = queue.events.size() - first;
  if (count == 0) return;
  queue.keys.resize(first + count);
  uint64_t* const keys = queue.keys.data();
  Event* const added = queue.events.data() + first;
  for (size_t i = 0; i < count; ++i) {
    Event& event = added[i];
    event.tick = std::min(std::max(event.tick, floor), kMaxTick);
    floor = event.tick;
    uint8_t rank = kAllocRank;
    if (event.type == EventType::kSnapshot) {
      rank = kSnapshotRank;
    } else if (event.type == EventType::kFree) {
      rank = kReleaseRank;
      // Earlier events of this thread at the same tick must still precede
      // this release: give them its rank (they stop at the first that has
      // it).
      const uint64_t release_key = KeyOf(event.tick, kReleaseRank);
      for (size_t j = first + i; j > queue.head; --j) {
        uint64_t& earlier = keys[j - 1];
        if ((earlier >> 2) != event.tick || earlier == release_key) break;
        earlier = release_key;
      }
    }
    keys[first + i] = KeyOf(event.tick, rank);
  }
  queue.last_tick = floor;
  if (!queue.active) {
    queue.active = true;
    active_.push_back(queue_index);
  }
  buffered_ += count;
  if (buffered_ > max_buffered_) {
    overflowed_ = true;
    ReleaseAll();
  }
}

void EventMerger::ReleaseBefore(uint64_t watermark) {
  Release(watermark, false);
}

void EventMerger::ReleaseAll() {
  Release(0, true);
  Flush();
}

void EventMerger::Release(uint64_t watermark, bool everything) {
  // Runs in queue order: the merge breaks ties by run index.
  std::sort(active_.begin(), active_.end());
  // The releasable part of each queue, a prefix since keys never decrease.
  const uint64_t end_key = KeyOf(std::min(watermark, kMaxTick + 1), 0);
  runs_.clear();
  run_ends_.clear();
  size_t released = 0;
  for (uint32_t queue_index : active_) {
    const Queue& queue = QueueOf(queue_index);
    const auto first = queue.keys.begin() + queue.head;
    const size_t end =
        everything ? queue.keys.size()
                   : std::lower_bound(first, queue.keys.end(), end_key) -
                         queue.keys.begin();
    run_ends_.push_back(end);
    if (end == queue.head) continue;
    runs_.push_back(Run{queue.keys.data() + queue.head,
                        queue.keys.data() + end,
                        queue.events.data() + queue.head});
    released += end - queue.head;
  }
  MergeRuns();

  size_t kept = 0;
  for (size_t i = 0; i < active_.size(); ++i) {
    const uint32_t queue_index = active_[i];
    Queue& queue = QueueOf(queue_index);
    const size_t end = run_ends_[i];
    if (end == queue.keys.size()) {
      queue.keys.clear();
      queue.events.clear();
      queue.head = 0;
      queue.active = false;
      continue;
    }
    queue.head = end;
    // Compact now and then so that a long-lived queue does not keep the
    // released prefix of every round.
    if (queue.head > queue.keys.size() / 2) {
      queue.keys.erase(queue.keys.begin(), queue.keys.begin() + queue.head);
      queue.events.erase(queue.events.begin(),
                         queue.events.begin() + queue.head);
      queue.head = 0;
    }
    active_[kept++] = queue_index;
  }
  active_.resize(kept);
  buffered_ -= released;
}

void EventMerger::MergeRuns() {
  // A binary min-heap of the runs' next (key, run index). The top run emits
  // for as long as it stays ahead of both children, so a thread's burst
  // costs one heap operation, not one per event.
  heap_.clear();
  for (uint32_t i = 0; i < runs_.size(); ++i) {
    heap_.push_back(OrderOf(*runs_[i].key, i));
  }
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
  while (heap_.size() > 1) {
    const auto index = static_cast<uint32_t>(heap_.front());
    Run& run = runs_[index];
    const Order rival =
        heap_.size() > 2 ? std::min(heap_[1], heap_[2]) : heap_[1];
    Order next;
    do {
      Emit(*run.event++);
      if (++run.key == run.key_end) break;
      next = OrderOf(*run.key, index);
    } while (next < rival);
    if (run.key == run.key_end) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
      heap_.pop_back();
    } else {
      heap_.front() = next;
      SiftDownTop();
    }
  }
  if (heap_.empty()) return;
  Run& last = runs_[static_cast<uint32_t>(heap_.front())];
  for (; last.key != last.key_end; ++last.key) Emit(*last.event++);
  // The merge emits in tick order: its last event has the highest tick.
  released_tick_ = std::max(released_tick_, last.event[-1].tick);
}

void EventMerger::SiftDownTop() {
  // Moves the top down through a hole: children move up, and the top is
  // written once, where it belongs.
  const size_t size = heap_.size();
  const Order top = heap_.front();
  size_t hole = 0;
  while (true) {
    size_t child = 2 * hole + 1;
    if (child >= size) break;
    if (child + 1 < size && heap_[child + 1] < heap_[child]) ++child;
    if (!(heap_[child] < top)) break;
    heap_[hole] = heap_[child];
    hole = child;
  }
  heap_[hole] = top;
}

void EventMerger::Flush() {
  if (output_size_ == 0) return;
  output_.resize(output_size_);
  sink_->OnOrderedEvents(output_);
  output_size_ = 0;
  // A recycled batch has this size already: nothing is written here.
  output_.resize(kOutputBatch);
}

}  // namespace heaptrail::analyzer
