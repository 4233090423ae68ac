// A per-thread cache of how to step out of a frame, keyed by its ip, learned
// from libunwind's own unwinding (which interprets .eh_frame, slowly here:
// Debian's libunwind locks and masks signals on every step).
//
// For code whose CFA is the stack pointer plus a constant (what GCC emits
// without frame pointers), the CFA of a frame is sp + offset(ip), and the
// caller's ip is the return address stored just below the CFA. A frame whose
// CFA equals rbp + 16 uses a frame pointer and may have a frame of dynamic
// size (alloca): it is kept as unusable, as is a signal frame. The outermost
// frame (nothing to return to) is remembered as such.
//
// Thread-safety: one thread's. No allocation.

#ifndef HEAPTRAIL_PRELOAD_FRAME_RULES_H_
#define HEAPTRAIL_PRELOAD_FRAME_RULES_H_

#include <cstdint>

namespace heaptrail::preload {

enum class FrameRuleKind : uint32_t {
  kUnknown,    // never learned (or evicted)
  kSpOffset,   // CFA = sp + cfa_offset
  kOutermost,  // the stack ends here
  kUnusable,   // frame pointer, signal frame: only libunwind steps out of it
};

struct FrameRule {
  FrameRuleKind kind;
  uint32_t cfa_offset;
};

class FrameRules {
 public:
  FrameRule Find(uintptr_t ip) const {
    const Entry& entry = entries_[Slot(ip)];
    if (entry.ip != ip) return {FrameRuleKind::kUnknown, 0};
    return entry.rule;
  }

  // A direct-mapped table: a new ip evicts the one in its slot.
  void Learn(uintptr_t ip, FrameRule rule) { entries_[Slot(ip)] = {ip, rule}; }

 private:
  static constexpr int kBits = 14;

  struct Entry {
    uintptr_t ip;
    FrameRule rule;
  };

  static uint32_t Slot(uintptr_t ip) {
    return static_cast<uint32_t>((ip * 0x9E3779B97F4A7C15ull) >> (64 - kBits));
  }

  Entry entries_[1 << kBits] = {};
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_FRAME_RULES_H_
