// Replays the globally ordered events and keeps what the reports need:
// the live blocks, totals (allocations, frees, bytes, the exact peak and its
// tick, leaks, temporary allocations, mismatched and unknown frees), the
// allocation size histogram, and per stack: live bytes/blocks now and at the
// peak, allocation counts, and the live table at each snapshot.
//
// The per-stack values at the peak come without a second pass: every new
// peak bumps peak_epoch_; before a stack's live values change, they are
// saved if they were last saved in an older epoch. At the end a stack's
// value at the peak is its saved value if it was saved in the peak's epoch
// (it changed after the peak), its live value otherwise.
//
// Memory is bounded by the live blocks plus the distinct stacks (plus the
// snapshots' tables), never by the number of events.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_REPLAY_HEAP_MODEL_H_
#define HEAPTRAIL_ANALYZER_REPLAY_HEAP_MODEL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "heaptrail/trace_format.h"
#include "replay/address_table.h"
#include "replay/heap_timeline.h"
#include "replay/size_histogram.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

struct HeapTotals {
  uint64_t allocations = 0;      // every kAlloc, realloc's new block included
  uint64_t frees = 0;            // releases of known blocks (realloc's too)
  uint64_t allocated_bytes = 0;  // sum of allocated sizes
  uint64_t live_bytes = 0;
  uint64_t live_blocks = 0;
  uint64_t peak_bytes = 0;   // max live bytes in the replayed order
  uint64_t peak_blocks = 0;  // live blocks at that moment
  uint64_t peak_tick = 0;
  uint64_t temporary_allocations = 0;
  uint64_t mismatched_frees = 0;
  uint64_t unknown_frees = 0;  // blocks allocated before tracking, or bugs
  uint64_t failed_reallocs = 0;
  // Allocations returning an address that was already live: the earlier
  // block was released behind the tracker's back (it is dropped).
  uint64_t reused_live_addresses = 0;
  uint64_t last_tick = 0;  // tick of the last replayed event
};

struct StackUsage {
  uint64_t bytes = 0;
  uint64_t blocks = 0;
};

// Everything known about one stack (by its innermost node id).
struct StackStats {
  uint32_t stack_id = 0;
  StackUsage live;
  StackUsage saved;  // live when first changed after peak saved_epoch
  uint32_t saved_epoch = 0;
  uint64_t alloc_count = 0;  // allocations made from this stack
  uint64_t alloc_bytes = 0;
  uint64_t temporary_count = 0;
  uint64_t mismatched_frees = 0;
};

// Live bytes/blocks of one stack at some moment.
struct StackValue {
  uint32_t stack_id = 0;
  uint64_t bytes = 0;
  uint64_t blocks = 0;
};

// The blocks live at one moment (the end, or a snapshot), by reachability
// (a kLeakKinds record).
struct LeakTotals {
  bool classified = false;  // the trace has the record
  StackUsage by_kind[4];    // indexed by format::LeakKind
  // Reachable through each of memcheck's heuristics (by LeakHeuristic).
  StackUsage by_heuristic[5];
  StackUsage unclassified;  // allocated after the scan began
  uint64_t pause_ns = 0;    // a live snapshot's: the program stopped this long
};

struct LeakClassification {
  LeakTotals totals;
  // By stack slot (HeapModel's), then LeakKind; the last: not classified.
  std::vector<std::array<StackUsage, 5>> by_slot;
};

struct SnapshotState {
  uint32_t id = 0;            // 1..N in replay order
  uint64_t record_index = 0;  // as passed to TakeSnapshot
  uint64_t tick = 0;
  uint64_t live_bytes = 0;
  uint64_t live_blocks = 0;
  std::vector<StackValue> stacks;  // stacks with live blocks, by stack id
  // A snapshot that asked for leak kinds: its blocks (address, size, stack
  // slot) until its record classifies them, then the classification.
  struct Block {
    uint64_t address;
    uint64_t size;
    uint32_t slot;
  };
  bool wants_leak_kinds = false;
  std::vector<Block> blocks;
  LeakClassification leaks;
};

// A block released by the wrong family (e.g. new[] then free).
struct MismatchedFree {
  uint32_t alloc_stack = 0;
  uint32_t free_stack = 0;  // 0: the trace has no release stacks
  format::AllocKind alloc_kind = format::AllocKind::kMalloc;
  format::FreeKind free_kind = format::FreeKind::kFree;
  uint64_t count = 0;
  uint64_t bytes = 0;
};

class HeapModel {
 public:
  HeapModel() = default;
  HeapModel(const HeapModel&) = delete;
  HeapModel& operator=(const HeapModel&) = delete;

  // kAlloc, kFree or kReallocFailed, in the global order.
  void Apply(const Event& event);
  // Records the live table now; `record_index` identifies the snapshot record.
  // `keep_blocks`: the snapshot will have leak kinds (kSignalWithLeaks).
  void TakeSnapshot(uint64_t tick, uint64_t record_index, bool keep_blocks);
  // The replay's loop: applies heap events and takes snapshots (kSnapshot
  // pseudo-events, Event::size = record index) in order, and records the live
  // bytes after each heap event in `timeline`.
  void Replay(std::span<const Event> events, HeapTimeline& timeline);

  const HeapTotals& totals() const { return totals_; }
  const std::vector<StackStats>& stacks() const { return stacks_; }
  const std::vector<SnapshotState>& snapshots() const { return snapshots_; }
  // Sizes of every allocation (realloc's new blocks included).
  const SizeHistogram& sizes() const { return sizes_; }
  std::vector<MismatchedFree> mismatched_frees() const;

  // Per-stack live values now (the leaks, at the end) and at the peak; only
  // stacks with live blocks, in first-seen order.
  std::vector<StackValue> LiveNow() const;
  std::vector<StackValue> LiveAtPeak() const;

  // After the replay: classifies, by address, the blocks of the snapshot
  // that asked for each record (same tick), or else those live now (the
  // end); then forgets the blocks kept for snapshots.
  void ClassifyLeaks(std::span<const LeakKindsRecord> records);
  // Of the end (snapshot 0) or of snapshot `snapshot_id`.
  const LeakTotals& leak_totals(uint32_t snapshot_id = 0) const {
    return Leaks(snapshot_id).totals;
  }
  // The blocks of one kind, per stack, at the end or at a snapshot; with no
  // kind, those the record does not classify.
  std::vector<StackValue> LiveOfKind(std::optional<format::LeakKind> kind,
                                     uint32_t snapshot_id = 0) const;

 private:
  struct Block {
    uint64_t size;
    uint32_t slot;  // index in stacks_
    uint32_t thread;
    format::AllocKind kind;
  };

  struct PendingRealloc {
    bool active = false;
    bool had_block = false;
    bool was_temporary = false;
    uint64_t address = 0;
    Block block{};
  };

  struct ThreadState {
    uint64_t last_alloc_address = 0;
    bool last_alloc_valid = false;  // no other allocation since on this thread
    PendingRealloc realloc;
  };

  void ApplyHeapEvent(const Event& event);
  void OnAlloc(const Event& event);
  void OnFree(const Event& event);
  // OnFree()'s rare cases, out of its way.
  void OnUnknownFree(const Event& event);
  void OnMismatchedFree(const Event& event, const Block& block);
  void OnReallocFailed(const Event& event);
  // Adds / removes a block in the live totals and its stack.
  void AddLive(const Block& block, uint64_t tick);
  void RemoveLive(const Block& block);
  void Classify(const LeakKindsRecord& record);
  // Saves a stack's live values before the first change after a peak.
  void Touch(StackStats& stats) {
    if (stats.saved_epoch != peak_epoch_) {
      stats.saved = stats.live;
      stats.saved_epoch = peak_epoch_;
    }
  }
  // True when the release of `block` at `address` on `thread` is the first
  // event after its allocation on that thread; forgets the candidate.
  bool TakeTemporary(const Block& block, uint64_t address, uint32_t thread);
  uint32_t SlotOf(uint32_t stack_id) {
    if (stack_id < dense_slots_.size() && dense_slots_[stack_id] != kNoSlot) {
      return dense_slots_[stack_id];
    }
    return NewOrSparseSlotOf(stack_id);
  }
  uint32_t NewOrSparseSlotOf(uint32_t stack_id);
  ThreadState& Thread(uint32_t thread) {
    if (thread >= threads_.size()) threads_.resize(thread + 1);
    return threads_[thread];
  }

  HeapTotals totals_;
  SizeHistogram sizes_;
  uint32_t peak_epoch_ = 0;
  AddressTable<Block> live_;
  // Stack id -> index in stacks_ (see SlotOf()).
  static constexpr uint32_t kNoSlot = ~uint32_t{0};
  static constexpr size_t kDenseSlotsAlways = size_t{1} << 16;
  std::vector<uint32_t> dense_slots_;
  absl::flat_hash_map<uint32_t, uint32_t> sparse_slots_;
  std::vector<StackStats> stacks_;
  std::vector<ThreadState> threads_;
  std::vector<SnapshotState> snapshots_;
  LeakClassification end_leaks_;
  const LeakClassification& Leaks(uint32_t snapshot_id) const {
    return snapshot_id == 0 || snapshot_id > snapshots_.size()
               ? end_leaks_
               : snapshots_[snapshot_id - 1].leaks;
  }
  struct MismatchKey {
    uint32_t slot;
    uint32_t free_stack;
    uint8_t alloc_kind;
    uint8_t free_kind;
    template <typename H>
    friend H AbslHashValue(H h, const MismatchKey& k) {
      return H::combine(std::move(h), k.slot, k.free_stack, k.alloc_kind,
                        k.free_kind);
    }
    bool operator==(const MismatchKey&) const = default;
  };
  absl::flat_hash_map<MismatchKey, MismatchedFree> mismatches_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPLAY_HEAP_MODEL_H_
