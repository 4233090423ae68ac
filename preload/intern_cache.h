// A per-thread memo in front of StackDepot::Intern: (parent, ip) -> child id.
//
// A compiler's stacks are deep and change a few frames at a time, in the
// middle as often as at the inner end, so a capture interns ~10 new frames
// (cc1plus: 4.4M Intern calls for 1.2M allocations). Each Intern is a random
// bucket and a random node in tables of tens of megabytes: two cache misses.
// The same (parent, ip) pairs come back again and again, and this table is
// small enough to stay in the core's cache.
//
// Ids are for one module epoch: Clear() when it changes.
//
// Thread-safety: one thread's. No allocation.

#ifndef HEAPTRAIL_PRELOAD_INTERN_CACHE_H_
#define HEAPTRAIL_PRELOAD_INTERN_CACHE_H_

#include <cstdint>
#include <cstring>

#include "stack_depot.h"

namespace heaptrail::preload {

class InternCache {
 public:
  uint32_t Intern(StackDepot& depot, uint32_t parent, uintptr_t ip, uint32_t epoch) {
    Entry& entry = entries_[SlotOf(parent, ip)];
    if (entry.ip == ip && entry.parent == parent) return entry.child;
    uint32_t child = depot.Intern(parent, ip, epoch);
    if (child != parent) entry = {ip, parent, child};  // parent: the depot is full
    return child;
  }

  void Clear() { memset(entries_, 0, sizeof(entries_)); }

 private:
  static constexpr int kBits = 15;

  struct Entry {
    uintptr_t ip;  // 0: empty (no frame has ip 0)
    uint32_t parent;
    uint32_t child;
  };

  static uint32_t SlotOf(uint32_t parent, uintptr_t ip) {
    uint64_t h = (ip ^ (uint64_t{parent} << 20)) * 0x9E3779B97F4A7C15ull;
    return static_cast<uint32_t>(h >> (64 - kBits));
  }

  Entry entries_[1 << kBits] = {};
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_INTERN_CACHE_H_
