// A per-thread cache of how to step out of a frame, keyed by its ip, learned
// from libunwind's own unwinding (which interprets .eh_frame, slowly here:
// Debian's libunwind locks and masks signals on every step).
//
// On x86-64 nearly all code has its CFA at a fixed distance from either the
// stack pointer (GCC's default) or the frame pointer rbp (code built with
// frame pointers, and frames of dynamic size: alloca, VLAs). The caller's ip
// is the return address just below the CFA, and the caller's rbp is either
// saved at a fixed distance below the CFA or left as it was. Those three
// facts are a frame's rule; with them a walk needs no DWARF at all. Anything
// else (a signal frame, a CFA from another register) is kept as unusable.
// The outermost frame (nothing to return to) is remembered as such.
//
// Rules hold for one module epoch (a module unloaded, its addresses may
// take other code): Clear() when it changes.
//
// Thread-safety: one thread's. No allocation.

#ifndef HEAPTRAIL_PRELOAD_FRAME_RULES_H_
#define HEAPTRAIL_PRELOAD_FRAME_RULES_H_

#include <cstdint>
#include <cstring>

namespace heaptrail::preload {

enum class FrameRuleKind : uint32_t {
  kUnknown,    // never learned (or evicted)
  kSpBased,    // CFA = sp + cfa_offset
  kRbpBased,   // CFA = rbp + cfa_offset
  kOutermost,  // the stack ends here
  kUnusable,   // only libunwind steps out of it
};

struct FrameRule {
  FrameRuleKind kind;
  uint32_t cfa_offset;
  uint32_t rbp_saved_below_cfa;  // the caller's rbp is at CFA - this; 0: rbp unchanged
};

class FrameRules {
 public:
  FrameRule Find(uintptr_t ip) const {
    const Entry* set = &entries_[SetOf(ip)];
    for (int way = 0; way < kWays; ++way) {
      if (set[way].ip == ip) return set[way].rule;
    }
    return {FrameRuleKind::kUnknown, 0, 0};
  }

  // 4-way sets: a new ip takes its set's ways in turn. (Direct-mapped, the
  // ~9000 return addresses of a compiler's stacks evicted each other, and
  // every eviction cost a whole libunwind walk to learn the ip again.)
  void Learn(uintptr_t ip, FrameRule rule) {
    Entry* set = &entries_[SetOf(ip)];
    for (int way = 0; way < kWays; ++way) {
      if (set[way].ip == ip) {
        set[way].rule = rule;
        return;
      }
    }
    set[next_way_++ % kWays] = {ip, rule};
  }

  // Forgets every rule: after a module is unloaded, another one's code may
  // sit at the same addresses.
  void Clear() {
    memset(entries_, 0, sizeof(entries_));
    next_way_ = 0;
  }

 private:
  static constexpr int kBits = 14;
  static constexpr int kWays = 4;

  struct Entry {
    uintptr_t ip;
    FrameRule rule;
  };

  static uint32_t SetOf(uintptr_t ip) {
    return static_cast<uint32_t>((ip * 0x9E3779B97F4A7C15ull) >> (64 - kBits)) & ~(kWays - 1u);
  }

  Entry entries_[1 << kBits] = {};
  uint32_t next_way_ = 0;
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_FRAME_RULES_H_
