// HeapModel: the replay. Realloc follows trace_format.h: kFree(p, kRealloc)
// releases p at once (another thread may get p before realloc returns), then
// either kAlloc(q, kRealloc) completes it or kReallocFailed(p) puts p back
// with its former size and stack, undoing the counts the release made.

#include "replay/heap_model.h"

#include <algorithm>

namespace heaptrail::analyzer {

using format::AllocKind;
using format::FreeKind;

uint32_t HeapModel::NewOrSparseSlotOf(uint32_t stack_id) {
  // Stack ids are the recorder's dense node ids: an array indexed by id
  // finds the slot with one load (SlotOf()). It grows only up to a few times
  // the number of distinct stacks seen, so a damaged trace's huge ids cannot
  // blow it up; ids beyond that go to the hash map.
  if (!sparse_slots_.empty()) {
    const auto it = sparse_slots_.find(stack_id);
    if (it != sparse_slots_.end()) return it->second;
  }
  const auto slot = static_cast<uint32_t>(stacks_.size());
  if (stack_id < dense_slots_.size() ||
      stack_id < 4 * size_t{slot} + kDenseSlotsAlways) {
    if (stack_id >= dense_slots_.size()) {
      dense_slots_.resize(size_t{stack_id} + 1, kNoSlot);
    }
    dense_slots_[stack_id] = slot;
  } else {
    sparse_slots_.emplace(stack_id, slot);
  }
  // Created after the last peak: its value at the peak is 0, which is what
  // `saved` holds for the current epoch.
  StackStats stats;
  stats.stack_id = stack_id;
  stats.saved_epoch = peak_epoch_;
  stacks_.push_back(stats);
  return slot;
}

inline void HeapModel::AddLive(const Block& block, uint64_t tick) {
  StackStats& stats = stacks_[block.slot];
  Touch(stats);
  stats.live.bytes += block.size;
  stats.live.blocks += 1;
  totals_.live_bytes += block.size;
  totals_.live_blocks += 1;
  if (totals_.live_bytes > totals_.peak_bytes) {
    totals_.peak_bytes = totals_.live_bytes;
    totals_.peak_blocks = totals_.live_blocks;
    totals_.peak_tick = tick;
    ++peak_epoch_;
  }
}

inline void HeapModel::RemoveLive(const Block& block) {
  StackStats& stats = stacks_[block.slot];
  Touch(stats);
  stats.live.bytes -= block.size;
  stats.live.blocks -= 1;
  totals_.live_bytes -= block.size;
  totals_.live_blocks -= 1;
}

inline bool HeapModel::TakeTemporary(const Block& block, uint64_t address,
                                     uint32_t thread) {
  ThreadState& owner = threads_[block.thread];
  if (!owner.last_alloc_valid || owner.last_alloc_address != address) {
    return false;
  }
  owner.last_alloc_valid = false;
  return block.thread == thread;
}

inline void HeapModel::ApplyHeapEvent(const Event& event) {
  totals_.last_tick = std::max(totals_.last_tick, event.tick);
  switch (event.type) {
    case EventType::kAlloc:
      OnAlloc(event);
      break;
    case EventType::kFree:
      OnFree(event);
      break;
    case EventType::kReallocFailed:
      OnReallocFailed(event);
      break;
    case EventType::kSnapshot:
      break;  // snapshots go through TakeSnapshot()
  }
}

void HeapModel::Apply(const Event& event) { ApplyHeapEvent(event); }

void HeapModel::Replay(std::span<const Event> events, HeapTimeline& timeline) {
  // How many events ahead the live block's slot is prefetched: enough to
  // cover a cache miss, few enough to stay in L1.
  constexpr size_t kSlotPrefetchDistance = 8;
  // And the events themselves, further ahead: they come from a batch that
  // another core wrote, not from this core's cache (bench/analyzer_stages:
  // 14.0 -> 12.7 ns per event).
  constexpr size_t kEventPrefetchDistance = 64;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i + kEventPrefetchDistance < events.size()) {
      __builtin_prefetch(&events[i + kEventPrefetchDistance]);
    }
    if (i + kSlotPrefetchDistance < events.size()) {
      live_.Prefetch(events[i + kSlotPrefetchDistance].address);
    }
    const Event& event = events[i];
    if (event.type == EventType::kSnapshot) {
      TakeSnapshot(event.tick, event.size, /*keep_blocks=*/event.kind != 0);
    } else {
      ApplyHeapEvent(event);
      timeline.Record(event.tick, totals_.live_bytes);
    }
  }
}

inline void HeapModel::OnAlloc(const Event& event) {
  Thread(event.thread);  // exists from here on: TakeTemporary() indexes it
  const uint32_t slot = SlotOf(event.stack_id);
  StackStats& stats = stacks_[slot];
  stats.alloc_count += 1;
  stats.alloc_bytes += event.size;
  totals_.allocations += 1;
  totals_.allocated_bytes += event.size;
  sizes_.Add(event.size);

  const Block block{event.size, slot, event.thread,
                    static_cast<AllocKind>(event.kind)};
  const auto [held, inserted] = live_.Insert(event.address, block);
  if (!inserted) {
    ++totals_.reused_live_addresses;
    TakeTemporary(*held, event.address, event.thread);
    RemoveLive(*held);
    *held = block;
  }
  AddLive(block, event.tick);

  ThreadState& thread = threads_[event.thread];
  if (static_cast<AllocKind>(event.kind) == AllocKind::kRealloc) {
    thread.realloc.active = false;  // the realloc succeeded
  }
  thread.last_alloc_address = event.address;
  thread.last_alloc_valid = true;
}

inline void HeapModel::OnFree(const Event& event) {
  Thread(event.thread);
  const FreeKind kind = static_cast<FreeKind>(event.kind);
  Block block;
  if (!live_.Erase(event.address, &block)) [[unlikely]] {
    OnUnknownFree(event);
    return;
  }
  RemoveLive(block);
  ++totals_.frees;

  const bool temporary = TakeTemporary(block, event.address, event.thread);
  if (temporary) {
    ++totals_.temporary_allocations;
    ++stacks_[block.slot].temporary_count;
  }
  if (!format::IsMatchingRelease(block.kind, kind)) [[unlikely]] {
    OnMismatchedFree(event, block);
  }
  if (kind == FreeKind::kRealloc) {
    threads_[event.thread].realloc = PendingRealloc{.active = true,
                                                    .had_block = true,
                                                    .was_temporary = temporary,
                                                    .address = event.address,
                                                    .block = block};
  }
}

void HeapModel::OnUnknownFree(const Event& event) {
  ++totals_.unknown_frees;
  if (static_cast<FreeKind>(event.kind) == FreeKind::kRealloc) {
    threads_[event.thread].realloc =
        PendingRealloc{.active = true, .address = event.address};
  }
}

void HeapModel::OnMismatchedFree(const Event& event, const Block& block) {
  ++totals_.mismatched_frees;
  ++stacks_[block.slot].mismatched_frees;
  MismatchedFree& mismatch = mismatches_[MismatchKey{
      block.slot, event.stack_id, static_cast<uint8_t>(block.kind),
      event.kind}];
  mismatch.alloc_stack = stacks_[block.slot].stack_id;
  mismatch.free_stack = event.stack_id;
  mismatch.alloc_kind = block.kind;
  mismatch.free_kind = static_cast<FreeKind>(event.kind);
  mismatch.count += 1;
  mismatch.bytes += block.size;
}

void HeapModel::OnReallocFailed(const Event& event) {
  ThreadState& thread = Thread(event.thread);
  ++totals_.failed_reallocs;
  PendingRealloc pending = thread.realloc;
  if (!pending.active || pending.address != event.address) return;
  thread.realloc.active = false;
  if (!pending.had_block) return;

  // The release did not happen after all.
  --totals_.frees;
  if (pending.was_temporary) {
    --totals_.temporary_allocations;
    --stacks_[pending.block.slot].temporary_count;
    thread.last_alloc_address = event.address;
    thread.last_alloc_valid = true;
  }
  const auto [held, inserted] = live_.Insert(event.address, pending.block);
  if (!inserted) {
    ++totals_.reused_live_addresses;
    RemoveLive(*held);
    *held = pending.block;
  }
  AddLive(pending.block, event.tick);
}

void HeapModel::TakeSnapshot(uint64_t tick, uint64_t record_index,
                             bool keep_blocks) {
  totals_.last_tick = std::max(totals_.last_tick, tick);
  SnapshotState snapshot;
  snapshot.id = static_cast<uint32_t>(snapshots_.size() + 1);
  snapshot.record_index = record_index;
  snapshot.tick = tick;
  snapshot.live_bytes = totals_.live_bytes;
  snapshot.live_blocks = totals_.live_blocks;
  snapshot.stacks = LiveNow();
  snapshot.wants_leak_kinds = keep_blocks;
  if (keep_blocks) {
    snapshot.blocks.reserve(totals_.live_blocks);
    live_.ForEach([&](uint64_t address, const Block& block) {
      snapshot.blocks.push_back({address, block.size, block.slot});
    });
  }
  snapshots_.push_back(std::move(snapshot));
}

std::vector<StackValue> HeapModel::LiveNow() const {
  std::vector<StackValue> values;
  for (const StackStats& stats : stacks_) {
    if (stats.live.blocks == 0) continue;
    values.push_back({stats.stack_id, stats.live.bytes, stats.live.blocks});
  }
  return values;
}

namespace {

constexpr size_t kUnclassified = 4;  // in LeakClassification::by_slot

// Adds a block of `size` bytes at `address`, of stack slot `slot`, to
// `leaks` with its kind in `record`.
void AddClassified(const LeakKindsRecord& record, uint64_t address,
                   uint64_t size, uint32_t slot, LeakClassification& leaks) {
  const auto it = std::lower_bound(record.addresses.begin(),
                                   record.addresses.end(), address);
  auto add = [size](StackUsage& usage) {
    usage.bytes += size;
    ++usage.blocks;
  };
  if (it == record.addresses.end() || *it != address) {
    add(leaks.totals.unclassified);
    add(leaks.by_slot[slot][kUnclassified]);
    return;
  }
  const uint8_t byte = record.kinds[it - record.addresses.begin()];
  const size_t kind = byte & 3;
  const size_t heuristic = byte >> 2;
  add(leaks.by_slot[slot][kind]);
  add(leaks.totals.by_kind[kind]);
  if (heuristic != 0 && kind == size_t(format::LeakKind::kReachable)) {
    add(leaks.totals.by_heuristic[heuristic]);
  }
}

}  // namespace

void HeapModel::ClassifyLeaks(std::span<const LeakKindsRecord> records) {
  for (const LeakKindsRecord& record : records) Classify(record);
  for (SnapshotState& snapshot : snapshots_) snapshot.blocks = {};
}

void HeapModel::Classify(const LeakKindsRecord& record) {
  LeakClassification* leaks = &end_leaks_;
  SnapshotState* snapshot = nullptr;
  for (SnapshotState& state : snapshots_) {
    if (state.wants_leak_kinds && state.tick == record.tick) snapshot = &state;
  }
  if (snapshot != nullptr) leaks = &snapshot->leaks;
  *leaks = LeakClassification();
  leaks->totals.classified = true;
  leaks->totals.pause_ns = record.pause_ns;
  leaks->by_slot.assign(stacks_.size(), {});
  if (snapshot != nullptr) {
    for (const SnapshotState::Block& block : snapshot->blocks) {
      AddClassified(record, block.address, block.size, block.slot, *leaks);
    }
    return;
  }
  live_.ForEach([&](uint64_t address, const Block& block) {
    AddClassified(record, address, block.size, block.slot, *leaks);
  });
}

std::vector<StackValue> HeapModel::LiveOfKind(
    std::optional<format::LeakKind> kind, uint32_t snapshot_id) const {
  const size_t index = kind ? size_t(*kind) : kUnclassified;
  const LeakClassification& leaks = Leaks(snapshot_id);
  std::vector<StackValue> values;
  for (size_t slot = 0; slot < leaks.by_slot.size(); ++slot) {
    const StackUsage& usage = leaks.by_slot[slot][index];
    if (usage.blocks == 0) continue;
    values.push_back({stacks_[slot].stack_id, usage.bytes, usage.blocks});
  }
  return values;
}

std::vector<StackValue> HeapModel::LiveAtPeak() const {
  std::vector<StackValue> values;
  for (const StackStats& stats : stacks_) {
    const StackUsage& at_peak =
        stats.saved_epoch == peak_epoch_ ? stats.saved : stats.live;
    if (at_peak.blocks == 0) continue;
    values.push_back({stats.stack_id, at_peak.bytes, at_peak.blocks});
  }
  return values;
}

std::vector<MismatchedFree> HeapModel::mismatched_frees() const {
  std::vector<MismatchedFree> result;
  result.reserve(mismatches_.size());
  for (const auto& [key, mismatch] : mismatches_) result.push_back(mismatch);
  std::sort(result.begin(), result.end(),
            [](const MismatchedFree& a, const MismatchedFree& b) {
              if (a.count != b.count) return a.count > b.count;
              if (a.alloc_stack != b.alloc_stack)
                return a.alloc_stack < b.alloc_stack;
              if (a.free_stack != b.free_stack)
                return a.free_stack < b.free_stack;
              return a.free_kind < b.free_kind;
            });
  return result;
}

}  // namespace heaptrail::analyzer
