// A per-thread memo in front of StackDepot::Intern: (parent, ip) -> child id.
//
// A compiler's stacks are deep and change a few frames at a time, in the
// middle as often as at the inner end, so a capture interns ~10 new frames
// (cc1plus: 4.4M Intern calls for 1.2M allocations). Each Intern is a random
// bucket and a random node in tables of tens of megabytes: two cache misses.
// The same (parent, ip) pairs come back again and again (3 calls in 4 on
// cc1plus find their answer here), and this table is small enough to stay
// in the core's cache, mostly: its slots are keyed by the hash of the whole
// stack, so that a capture fetches the slots of all its new frames at once.
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
  // The hash of a stack from its outer end: of its innermost ip and the
  // hash of the rest (0 for none). A node's slot is its stack's hash, which
  // a capture knows for all its new frames before it has their parents.
  static uint64_t SuffixHash(uint64_t outer, uintptr_t ip) {
    return (outer ^ ip) * 0x9E3779B97F4A7C15ull + (outer >> 29);
  }

  void Prefetch(uint64_t suffix_hash) const {
    __builtin_prefetch(&entries_[SlotOf(suffix_hash)]);
  }

  // The child of `parent` for `ip`, whose stack hashes to `suffix_hash`.
  // A slot is checked by (parent, ip), which alone decides the child: a
  // hash that collides only costs a miss.
  uint32_t Intern(StackDepot& depot, uint32_t parent, uintptr_t ip, uint32_t epoch,
                  uint64_t suffix_hash) {
    Entry& entry = entries_[SlotOf(suffix_hash)];
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

  static uint32_t SlotOf(uint64_t suffix_hash) {
    return static_cast<uint32_t>(suffix_hash >> (64 - kBits));
  }

  Entry entries_[1 << kBits] = {};
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_INTERN_CACHE_H_
