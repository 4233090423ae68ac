// SharedFrameRules: a rule learned once is found by (ip, epoch) only, and
// threads learning and finding at once never see a rule torn between two
// writes (run under TSan by scripts/test.sh).

#include "shared_frame_rules.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace heaptrail::preload {
namespace {

bool SameRule(FrameRule a, FrameRule b) {
  return a.kind == b.kind && a.cfa_offset == b.cfa_offset &&
         a.rbp_saved_below_cfa == b.rbp_saved_below_cfa;
}

TEST(SharedFrameRulesTest, FindsARuleByIpAndEpoch) {
  auto rules = std::make_unique<SharedFrameRules>();
  const FrameRule rule = {FrameRuleKind::kRbpBased, 16, 16};
  rules->Learn(0x401234, 3, rule);
  EXPECT_TRUE(SameRule(rules->Find(0x401234, 3), rule));
  EXPECT_EQ(rules->Find(0x401234, 4).kind, FrameRuleKind::kUnknown);  // another epoch
  EXPECT_EQ(rules->Find(0x401235, 3).kind, FrameRuleKind::kUnknown);  // another ip

  const FrameRule outermost = {FrameRuleKind::kOutermost, 0, 0};
  rules->Learn(0x402000, 3, outermost);
  EXPECT_TRUE(SameRule(rules->Find(0x402000, 3), outermost));
  // The largest fields a rule can hold come back whole.
  const FrameRule large = {FrameRuleKind::kSpBased, (1u << 29) - 8, (1u << 29) - 16};
  rules->Learn(0x403000, 3, large);
  EXPECT_TRUE(SameRule(rules->Find(0x403000, 3), large));
}

TEST(SharedFrameRulesTest, KeepsNeitherUnknownRulesNorOffsetsItCannotHold) {
  auto rules = std::make_unique<SharedFrameRules>();
  rules->Learn(0x401000, 0, {FrameRuleKind::kUnknown, 8, 0});
  EXPECT_EQ(rules->Find(0x401000, 0).kind, FrameRuleKind::kUnknown);
  rules->Learn(0x401000, 0, {FrameRuleKind::kSpBased, 1u << 29, 0});
  EXPECT_EQ(rules->Find(0x401000, 0).kind, FrameRuleKind::kUnknown);
}

// Every ip's rule is a function of the ip: a rule found for an ip that is
// not its own is a torn read.
FrameRule RuleOf(uintptr_t ip) {
  return {ip % 2 == 0 ? FrameRuleKind::kSpBased : FrameRuleKind::kRbpBased,
          static_cast<uint32_t>(8 + (ip >> 4) % 4096 * 8), static_cast<uint32_t>(ip >> 4) % 8};
}

// Two ips that share a slot, rewritten in turn by one thread while another
// reads both: a reader between a write's first and last store would see one
// ip with the other's rule, unless it saw the write and missed. The learner
// writes until the reader has read enough, so that the two overlap however
// the threads are scheduled (a learner that ran to its end before the reader
// began left a loaded machine's run with nothing found).
TEST(SharedFrameRulesTest, ConcurrentLearnersAndFindersSeeWholeRules) {
  auto rules = std::make_unique<SharedFrameRules>();
  const uintptr_t first = 0x400000;
  uintptr_t second = first + 16;
  while (SharedFrameRules::SlotOf(second) != SharedFrameRules::SlotOf(first)) second += 16;
  std::atomic<bool> learning{false}, stop{false};
  std::thread learner([&] {
    for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      const uintptr_t ip = i % 2 == 0 ? first : second;
      rules->Learn(ip, 1, RuleOf(ip));
      if (i == 0) learning.store(true, std::memory_order_release);
    }
  });
  while (!learning.load(std::memory_order_acquire)) std::this_thread::yield();
  uint64_t found = 0, torn = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (uint64_t i = 0; i < 8000000 || (found < 1000 && std::chrono::steady_clock::now() < deadline);
       ++i) {
    const uintptr_t ip = i % 2 == 0 ? first : second;
    const FrameRule rule = rules->Find(ip, 1);
    if (rule.kind != FrameRuleKind::kUnknown) {
      ++found;
      torn += !SameRule(rule, RuleOf(ip));
    }
  }
  stop.store(true, std::memory_order_relaxed);
  learner.join();
  EXPECT_EQ(torn, 0u);
  EXPECT_GE(found, 1000u);
}

}  // namespace
}  // namespace heaptrail::preload
