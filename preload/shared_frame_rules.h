// Frame rules shared by every thread: what one thread learned from a
// libunwind step, another finds here instead of stepping libunwind itself
// (a pool of threads running the same code learns each frame once, not once
// per thread). Each thread keeps its own FrameRules in front of this table.
//
// Learning is rare and lookups many, so entries are written under a lock
// and read without one: a reader takes an entry only when the table's
// sequence number was even and unchanged around its loads (a seqlock). A
// writer that finds the lock taken does not wait: the rule stays its own.
// An entry holds the module epoch it was learned in and is found only in
// that epoch (FrameRules says why). Direct-mapped: a new rule replaces the
// one in its slot.
//
// A child forked while another thread was writing finds the lock taken for
// good: it then neither reads nor writes the table (its rules stay its own).
//
// Thread-safety: any thread; Find() is async-signal-safe. No allocation.

#ifndef HEAPTRAIL_PRELOAD_SHARED_FRAME_RULES_H_
#define HEAPTRAIL_PRELOAD_SHARED_FRAME_RULES_H_

#include <atomic>
#include <cstdint>

#include "frame_rules.h"

namespace heaptrail::preload {

class SharedFrameRules {
 public:
  constexpr SharedFrameRules() = default;
  SharedFrameRules(const SharedFrameRules&) = delete;
  SharedFrameRules& operator=(const SharedFrameRules&) = delete;

  // The rule some thread learned for `ip` in `epoch`; kUnknown if none.
  FrameRule Find(uintptr_t ip, uint32_t epoch) const {
    const uint64_t before = sequence_.load(std::memory_order_acquire);
    if ((before & 1) != 0) return {};
    const Entry& entry = entries_[SlotOf(ip)];
    const uintptr_t entry_ip = entry.ip.load(std::memory_order_relaxed);
    const uint64_t packed = entry.rule.load(std::memory_order_relaxed);
    const uint32_t entry_epoch = entry.epoch.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (sequence_.load(std::memory_order_relaxed) != before) return {};
    if (entry_ip != ip || entry_epoch != epoch) return {};
    return Unpack(packed);
  }

  // Publishes a rule learned for `ip` in `epoch`, unless another thread is
  // publishing one right now.
  void Learn(uintptr_t ip, uint32_t epoch, FrameRule rule) {
    if (rule.kind == FrameRuleKind::kUnknown || rule.cfa_offset >= (1u << kOffsetBits)) return;
    if (locked_.exchange(true, std::memory_order_acquire)) return;
    const uint64_t sequence = sequence_.load(std::memory_order_relaxed);
    sequence_.store(sequence + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    Entry& entry = entries_[SlotOf(ip)];
    entry.ip.store(ip, std::memory_order_relaxed);
    entry.rule.store(Pack(rule), std::memory_order_relaxed);
    entry.epoch.store(epoch, std::memory_order_relaxed);
    sequence_.store(sequence + 2, std::memory_order_release);
    locked_.store(false, std::memory_order_release);
  }

  // The slot of `ip`: for tests.
  static uint32_t SlotOf(uintptr_t ip) {
    return static_cast<uint32_t>((ip * 0x9E3779B97F4A7C15ull) >> (64 - kBits));
  }

 private:
  static constexpr int kBits = 14;
  // A rule in one word: kind, CFA offset (a learned frame is at most
  // 1 MiB), where rbp is saved below the CFA (no more than the offset).
  static constexpr int kKindBits = 3;
  static constexpr int kOffsetBits = 29;

  struct Entry {
    std::atomic<uintptr_t> ip{0};
    std::atomic<uint64_t> rule{0};
    std::atomic<uint32_t> epoch{0};
  };

  static uint64_t Pack(FrameRule rule) {
    return static_cast<uint64_t>(rule.kind) | uint64_t{rule.cfa_offset} << kKindBits |
           uint64_t{rule.rbp_saved_below_cfa} << (kKindBits + kOffsetBits);
  }
  static FrameRule Unpack(uint64_t packed) {
    return {static_cast<FrameRuleKind>(packed & ((1u << kKindBits) - 1)),
            static_cast<uint32_t>((packed >> kKindBits) & ((1u << kOffsetBits) - 1)),
            static_cast<uint32_t>(packed >> (kKindBits + kOffsetBits))};
  }

  std::atomic<uint64_t> sequence_{0};  // odd while an entry is being written
  std::atomic<bool> locked_{false};
  Entry entries_[1 << kBits];
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_SHARED_FRAME_RULES_H_
