// SameTickOrder: a greedy merge of one tick's per-thread runs that lets an
// event on address p wait for another thread's event on p.

#include "same_tick_order.h"

namespace heaptrail::analyzer {
namespace {

bool MakesLive(const Event& event) {
  return event.type == EventType::kAlloc ||
         event.type == EventType::kReallocFailed;
}

}  // namespace

void SameTickOrder::Add(const Event& event) {
  if (!group_.empty() && event.tick != group_.front().tick) Flush();
  if (event.type == EventType::kSnapshot) {
    // Snapshots come after the heap events of their tick.
    Flush();
    sink_->OnOrderedEvent(event);
    return;
  }
  if (!group_.empty() && event.thread != group_.front().thread) {
    group_has_threads_ = true;
  }
  group_.push_back(event);
}

void SameTickOrder::Flush() {
  if (group_has_threads_) {
    OrderGroup();
  } else {
    for (const Event& event : group_) Emit(event);
  }
  group_.clear();
  group_has_threads_ = false;
}

void SameTickOrder::Emit(const Event& event) {
  if (MakesLive(event)) {
    live_.insert(event.address);
  } else if (event.type == EventType::kFree) {
    live_.erase(event.address);
  }
  sink_->OnOrderedEvent(event);
}

bool SameTickOrder::Waits(const Event& event) const {
  const auto pending = pending_.find(event.address);
  if (pending == pending_.end()) return false;
  const bool live = live_.contains(event.address);
  if (MakesLive(event)) return live && pending->second.releases > 0;
  return !live && pending->second.allocations > 0;
}

void SameTickOrder::OrderGroup() {
  lanes_.clear();
  pending_.clear();
  for (size_t i = 0; i < group_.size(); ++i) {
    const Event& event = group_[i];
    Lane* lane = nullptr;
    for (Lane& candidate : lanes_) {
      if (candidate.thread == event.thread) lane = &candidate;
    }
    if (lane == nullptr) {
      lane = &lanes_.emplace_back(Lane{event.thread, {}, 0});
    }
    lane->items.push_back(i);
    Pending& pending = pending_[event.address];
    if (MakesLive(event)) {
      ++pending.allocations;
    } else {
      ++pending.releases;
    }
  }
  for (size_t left = group_.size(); left > 0; --left) {
    Lane* chosen = nullptr;
    Lane* earliest = nullptr;
    for (Lane& lane : lanes_) {
      if (lane.next == lane.items.size()) continue;
      const size_t head = lane.items[lane.next];
      if (earliest == nullptr || head < earliest->items[earliest->next]) {
        earliest = &lane;
      }
      if (!Waits(group_[head]) &&
          (chosen == nullptr || head < chosen->items[chosen->next])) {
        chosen = &lane;
      }
    }
    if (chosen == nullptr) chosen = earliest;
    const Event& event = group_[chosen->items[chosen->next++]];
    Pending& pending = pending_[event.address];
    if (MakesLive(event)) {
      --pending.allocations;
    } else {
      --pending.releases;
    }
    Emit(event);
  }
}

}  // namespace heaptrail::analyzer
