// The blocks live in the program now, as the writer learns them from the
// drained events: what the reachability scan at exit classifies.
//
// The writer drains one ring after another, so events of different threads
// reach it out of their true order, but never by more than one round for two
// events on the same address (both were published in their true order; see
// "Ordering" in trace_format.h). So the table keeps, per address, the event
// with the highest tick: an allocation (a live block), or a release that
// came before its allocation (a tombstone that drops the allocation when it
// comes). A tombstone is forgotten two rounds after it was made, when
// nothing older can arrive. The release of a block seen allocated, the usual
// case, erases it.
//
// Open addressing with linear probing on pages of its own; trivially
// destructible, like everything the writer uses after the library's
// destructor.
//
// Thread-safety: used by whoever holds the writer lock.

#ifndef HEAPTRAIL_PRELOAD_LIVE_BLOCKS_H_
#define HEAPTRAIL_PRELOAD_LIVE_BLOCKS_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "heaptrail/trace_format.h"

namespace heaptrail::preload {

struct LiveBlock {
  uint64_t address;
  uint64_t size;
};

class LiveBlocks {
 public:
  constexpr LiveBlocks() = default;
  LiveBlocks(const LiveBlocks&) = delete;
  LiveBlocks& operator=(const LiveBlocks&) = delete;

  // Applies one drained run of a thread's event rows (kThreadEvents
  // encoding); `tick` and `address` are the thread's delta state, carried
  // from its previous run. False when the rows do not decode, or when out of
  // memory: the table is then no longer exact and stays off (ok() false).
  bool ApplyRows(const uint8_t* rows, size_t size, uint64_t& tick, uint64_t& address);

  // Called once per writer round, after the drain: ages the tombstones.
  void EndRound() { ++round_; }

  bool ok() const { return !failed_; }
  size_t live_count() const { return live_; }

  // Calls `visit(LiveBlock)` for every live block, in no particular order.
  template <typename Visit>
  void ForEachLive(Visit&& visit) const {
    for (size_t i = 0; i < capacity_; ++i) {
      const Slot& slot = slots_[i];
      if (slot.address != 0 && (slot.state & kReleased) == 0) {
        visit(LiveBlock{slot.address, slot.state & kSizeMask});
      }
    }
  }

  // Forgets everything (a forked child writes a trace of its own).
  void Reset();
  // Off for good: the table missed events.
  void Disable() { failed_ = true; }

 private:
  // state: bit 63 released; bits 48..62 the round the release was seen in;
  // bits 0..47 the size (a released block keeps it: a failed realloc makes
  // it live again).
  struct Slot {
    uint64_t address;  // 0: empty
    uint64_t tick;
    uint64_t state;
  };
  static constexpr uint64_t kReleased = uint64_t{1} << 63;
  static constexpr int kRoundShift = 48;
  static constexpr uint64_t kRoundMask = 0x7fff;
  static constexpr uint64_t kSizeMask = (uint64_t{1} << kRoundShift) - 1;

  void Allocated(uint64_t address, uint64_t size, uint64_t tick);
  void Released(uint64_t address, uint64_t tick, format::FreeKind kind);
  void Erase(Slot* slot);
  bool Fail();
  void ReallocFailed(uint64_t address, uint64_t tick);
  // The slot of `address`, or the empty slot where it would go; null when the
  // table has no room and cannot grow.
  Slot* Find(uint64_t address);
  // Makes room for one more slot: rebuilds without old tombstones, growing
  // when they were few.
  bool Reserve();
  bool Rebuild(size_t capacity);
  bool Expired(const Slot& slot) const {
    return (slot.state & kReleased) != 0 &&
           ((round_ - (slot.state >> kRoundShift)) & kRoundMask) >= 2;
  }

  Slot* slots_ = nullptr;
  size_t capacity_ = 0;  // a power of two
  size_t used_ = 0;      // live blocks and tombstones
  size_t live_ = 0;
  uint64_t round_ = 0;
  bool failed_ = false;
};

static_assert(std::is_trivially_destructible_v<LiveBlocks>);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_LIVE_BLOCKS_H_
