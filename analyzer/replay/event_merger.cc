// EventMerger: per-thread queues, and a merge of each round's releasable
// prefixes by (tick, rank, queue).

#include "replay/event_merger.h"

#include <algorithm>
#include <bit>
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

void EventMerger::AddSnapshot(uint64_t tick, uint64_t index,
                              bool wants_leak_kinds) {
  Event event;
  event.type = EventType::kSnapshot;
  event.tick = tick;
  event.size = index;
  event.kind = wants_leak_kinds ? 1 : 0;
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
  const size_t first = queue.keyed;
  const size_t count = queue.events.size() - first;
  if (count == 0) return;
  Event* const events = queue.events.data();
  // The key of the event before; it only decides whether to look back, and
  // the look-back itself stops at the queue's unreleased head.
  uint64_t previous_key = first > queue.head ? events[first - 1].tick : 0;
  for (size_t i = first; i < first + count; ++i) {
    Event& event = events[i];
    const uint64_t tick = std::min(std::max(event.tick, floor), kMaxTick);
    floor = tick;
    // Without a branch: allocations and releases alternate at random.
    const bool release = event.type == EventType::kFree;
    const uint8_t rank = release ? kReleaseRank
                         : event.type == EventType::kSnapshot ? kSnapshotRank
                                                                : kAllocRank;
    const uint64_t key = KeyOf(tick, rank);
    // Earlier events of this thread at the same tick must still precede a
    // release: they take its rank (the look-back stops at the first that
    // has it). Rare: only a release right after an event of its tick.
    const bool look_back =
        release & (TickOf(previous_key) == tick) & (previous_key != key);
    if (look_back) [[unlikely]] {
      for (size_t j = i; j > queue.head; --j) {
        uint64_t& earlier = events[j - 1].tick;
        if (TickOf(earlier) != tick || earlier == key) break;
        earlier = key;
      }
    }
    event.tick = key;
    previous_key = key;
  }
  queue.keyed = first + count;
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
    const Event* const first = queue.events.data() + queue.head;
    const Event* const keyed_end = queue.events.data() + queue.keyed;
    const Event* const end =
        everything ? keyed_end
                   : std::partition_point(first, keyed_end,
                                          [end_key](const Event& event) {
                                            return event.tick < end_key;
                                          });
    run_ends_.push_back(end - queue.events.data());
    if (end == first) continue;
    runs_.push_back(Run{first, end});
    released += end - first;
  }
  MergeRuns();

  size_t kept = 0;
  for (size_t i = 0; i < active_.size(); ++i) {
    const uint32_t queue_index = active_[i];
    Queue& queue = QueueOf(queue_index);
    const size_t end = run_ends_[i];
    if (end == queue.events.size()) {
      queue.events.clear();
      queue.keyed = 0;
      queue.head = 0;
      queue.active = false;
      continue;
    }
    queue.head = end;
    // Compact now and then so that a long-lived queue does not keep the
    // released prefix of every round.
    if (queue.head > queue.events.size() / 2) {
      queue.events.erase(queue.events.begin(),
                         queue.events.begin() + queue.head);
      queue.keyed -= queue.head;
      queue.head = 0;
    }
    active_[kept++] = queue_index;
  }
  active_.resize(kept);
  buffered_ -= released;
}

void EventMerger::MergeRuns() {
  for (const Run& run : runs_) {
    released_tick_ = std::max(released_tick_, TickOf(run.end[-1].tick));
  }
  if (runs_.size() <= kMaxPairedRuns) {
    MergeInPairs();
  } else {
    MergeWithLoserTree();
  }
}

void EventMerger::MergeInPairs() {
  // Threads share cores in time slices: at any moment about as many
  // threads allocate as there are cores, and on the 2 cores of bench/mixed
  // two runs interleave, event by event, for thousands of events, while the
  // others wait. So the two runs ahead merge with each other, in
  // branch-free steps, for as long as both stay below the third run's next
  // key; then the three runs ahead are found again, by a scan.
  while (true) {
    // The three runs ahead by (key, run index).
    Order orders[3] = {kExhausted, kExhausted, kExhausted};
    uint32_t ahead[2] = {0, 0};
    for (uint32_t i = 0; i < runs_.size(); ++i) {
      const Run& run = runs_[i];
      if (run.event == run.end) continue;
      const Order order = OrderOf(run.event->tick, i);
      if (order < orders[1]) {
        orders[2] = orders[1];
        if (order < orders[0]) {
          orders[1] = orders[0];
          ahead[1] = ahead[0];
          orders[0] = order;
          ahead[0] = i;
        } else {
          orders[1] = order;
          ahead[1] = i;
        }
      } else if (order < orders[2]) {
        orders[2] = order;
      }
    }
    if (orders[0] == kExhausted) return;
    Run& first = runs_[ahead[0]];
    if (orders[1] == kExhausted) {
      EmitRest(first);
      return;
    }
    // Ties between the two go to the lower run; the third's key stops them
    // (a tie with it, rare, takes the slow way below).
    const uint64_t bound = static_cast<uint64_t>(orders[2] >> 32);
    Run& lower = runs_[std::min(ahead[0], ahead[1])];
    Run& higher = runs_[std::max(ahead[0], ahead[1])];
    const size_t emitted =
        MergeSteps(lower, higher, bound, output_.data() + output_size_,
                   kOutputBatch - output_size_);
    output_size_ += emitted;
    if (emitted == 0) {
      // No step taken (the next key ties with the third run's, or a run is
      // about to end): the run ahead emits one event.
      Emit(*first.event++);
    } else if (output_size_ == kOutputBatch) {
      Flush();
    }
  }
}

size_t EventMerger::MergeSteps(Run& first, Run& second, uint64_t bound,
                               Event* events, size_t limit) {
  // Which run goes next is chosen with arithmetic, not a branch: the two
  // runs interleave event by event (1.6 events per turn on bench/mixed),
  // which a branch predictor cannot follow. Each step takes one event from
  // one run, so fewer steps than either run's length need no end check
  // (two fewer: each run's next key is loaded a step ahead).
  const size_t first_size = static_cast<size_t>(first.end - first.event);
  const size_t second_size = static_cast<size_t>(second.end - second.event);
  const size_t steps = std::min({limit + 2, first_size, second_size});
  if (steps < 3) return 0;
  const Event* first_event = first.event;
  const Event* second_event = second.event;
  // Each run's key and the one after it: the choice of a step then needs
  // no load, only the keys in registers (the loads run a step ahead, off
  // the chain of choices).
  uint64_t first_key = first_event[0].tick;
  uint64_t first_next = first_event[1].tick;
  uint64_t second_key = second_event[0].tick;
  uint64_t second_next = second_event[1].tick;
  size_t i = 0;
  for (; i < steps - 2; ++i) {
    const bool take_second = second_key < first_key;
    const uint64_t key = take_second ? second_key : first_key;
    if (key >= bound) break;
    events[i] = *(take_second ? second_event : first_event);
    events[i].tick = TickOf(key);
    first_key = take_second ? first_key : first_next;
    second_key = take_second ? second_next : second_key;
    first_event += !take_second;
    second_event += take_second;
    first_next = first_event[1].tick;
    second_next = second_event[1].tick;
  }
  first.event = first_event;
  second.event = second_event;
  return i;
}

void EventMerger::MergeWithLoserTree() {
  // A loser tree (Knuth, TAOCP 5.4.1) over the runs' next (key, run index):
  // leaves are runs, padded with exhausted ones to a power of two; each
  // inner node holds the run that lost the match there. After the winner
  // emits, only the matches on its path are played again.
  size_t remaining = 0;
  for (const Run& run : runs_) remaining += run.end - run.event;
  const size_t leaves = std::bit_ceil(runs_.size());
  heads_.assign(leaves, kExhausted);
  for (uint32_t i = 0; i < runs_.size(); ++i) {
    heads_[i] = OrderOf(runs_[i].event->tick, i);
  }
  // Plays every match bottom-up: winners_[node] is the winner below node.
  losers_.resize(leaves);
  winners_.resize(2 * leaves);
  for (uint32_t leaf = 0; leaf < leaves; ++leaf) winners_[leaves + leaf] = leaf;
  for (size_t node = leaves - 1; node > 0; --node) {
    const uint32_t left = winners_[2 * node];
    const uint32_t right = winners_[2 * node + 1];
    const bool left_wins = heads_[left] < heads_[right];
    winners_[node] = left_wins ? left : right;
    losers_[node] = left_wins ? right : left;
  }
  uint32_t winner = winners_[1];
  while (remaining > 0) {
    // Emit() without its check: as many steps as the batch has room for.
    const size_t steps = std::min(kOutputBatch - output_size_, remaining);
    Event* const out = output_.data() + output_size_;
    for (size_t i = 0; i < steps; ++i) {
      Run& run = runs_[winner];
      out[i] = *run.event;
      out[i].tick = TickOf(run.event->tick);
      heads_[winner] =
          ++run.event == run.end ? kExhausted : OrderOf(run.event->tick, winner);
      for (size_t node = (leaves + winner) >> 1; node > 0; node >>= 1) {
        const uint32_t loser = losers_[node];
        const bool loser_wins = heads_[loser] < heads_[winner];
        losers_[node] = loser_wins ? winner : loser;
        winner = loser_wins ? loser : winner;
      }
    }
    output_size_ += steps;
    remaining -= steps;
    if (output_size_ == kOutputBatch) Flush();
  }
}

void EventMerger::EmitRest(Run& run) {
  while (run.event != run.end) Emit(*run.event++);
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
