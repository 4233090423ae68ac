// StackCache: every capture, whether reused, spliced or fully unwound, is
// exactly the stack a full libunwind backtrace sees at the same point, across
// the cases that defeat a naive cache: the same sp under a different caller,
// recursion of changing depth, longjmp, exceptions, signal handlers, and the
// depth limit.

#include "stack_capture.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <gtest/gtest.h>

#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <memory>
#include <vector>

namespace heaptrail::preload {
namespace {

// What a hook captured and what a full backtrace from the same hook says.
struct Capture {
  uint32_t id = 0;
  uintptr_t caller_sp = 0;
  std::vector<uintptr_t> expected;  // innermost frame first
};

StackDepot* depot = nullptr;
StackCache* cache = nullptr;
int depth_limit = kMaxStackDepth;
uint32_t epoch = 0;  // the module epoch the hook captures in

// Plays the exported hook: takes the caller frame itself, captures through
// the cache, then takes the full backtrace from the same frame.
__attribute__((noinline)) Capture Hook() {
  Capture capture;
  CallerFrame caller = HEAPTRAIL_CALLER_FRAME();
  capture.caller_sp = caller.sp;
  capture.id = cache->CaptureAndIntern(*depot, depth_limit, epoch, caller);
  void* raw[kMaxStackDepth + 1];
  int count = unw_backtrace(raw, kMaxStackDepth + 1);
  // raw[0] is this function; raw[1] is its return address, the caller.
  for (int i = 1; i < count && static_cast<int>(capture.expected.size()) < depth_limit; ++i) {
    capture.expected.push_back(reinterpret_cast<uintptr_t>(raw[i]));
  }
  asm volatile("" : : : "memory");
  return capture;
}

// The frames of a depot stack, innermost first.
std::vector<uintptr_t> Frames(uint32_t id) {
  std::vector<uintptr_t> frames;
  for (; id != 0; id = depot->node(id).parent) frames.push_back(depot->node(id).ip.load());
  return frames;
}

class StackCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static StackDepot shared_depot;
    static bool initialized = shared_depot.Init();
    ASSERT_TRUE(initialized);
    depot = &shared_depot;
    owned_cache_ = std::make_unique<StackCache>();
    cache = owned_cache_.get();
    depth_limit = kMaxStackDepth;
    epoch = 0;
    InitStackCapture();
  }

  std::unique_ptr<StackCache> owned_cache_;
};

#define EXPECT_EXACT(capture)                                  \
  do {                                                         \
    const Capture& c = (capture);                              \
    ASSERT_GT(c.expected.size(), 2u);                          \
    EXPECT_EQ(Frames(c.id), c.expected);                       \
  } while (0)

// --- helpers: real frames (noinline, never tail calls) -----------------------

__attribute__((noinline)) Capture Leaf() {
  Capture capture = Hook();
  asm volatile("" : : : "memory");
  return capture;
}

// Two callers of Leaf with the same frame size: Leaf runs at the same sp
// under either, and only the return-address slot above it tells them apart.
__attribute__((noinline)) Capture ViaA() {
  Capture capture = Leaf();
  asm volatile("" : : "r"(1) : "memory");
  return capture;
}

__attribute__((noinline)) Capture ViaB() {
  Capture capture = Leaf();
  asm volatile("" : : "r"(2) : "memory");
  return capture;
}

__attribute__((noinline)) Capture Recurse(int levels) {
  Capture capture = levels == 0 ? Hook() : Recurse(levels - 1);
  asm volatile("" : : : "memory");
  return capture;
}

TEST_F(StackCaptureTest, RepeatedCaptureIsReusedAndExact) {
  uint32_t first = 0;
  for (int i = 0; i < 5; ++i) {
    Capture capture = Recurse(6);
    EXPECT_EXACT(capture);
    if (i == 0) first = capture.id;
    EXPECT_EQ(capture.id, first);
  }
}

TEST_F(StackCaptureTest, SameSpUnderADifferentCallerIsTold) {
  Capture (*const callers[])() = {ViaA, ViaB, ViaA, ViaA, ViaB, ViaB};
  std::vector<Capture> captures;
  for (auto* via : callers) captures.push_back(via());
  for (const Capture& capture : captures) EXPECT_EXACT(capture);
  // The case under test: Leaf ran at one sp for both callers.
  EXPECT_EQ(captures[0].caller_sp, captures[1].caller_sp);
  EXPECT_NE(captures[0].id, captures[1].id);
  EXPECT_EQ(captures[0].id, captures[2].id);
  EXPECT_EQ(captures[1].id, captures[4].id);
}

// A module unloaded starts a new epoch: its addresses may hold another
// module's code from then on, so what was learned of them is forgotten (a
// stale frame size would make the walk read the stack at a wrong CFA).
TEST_F(StackCaptureTest, RulesDoNotOutliveTheirEpoch) {
  const Capture first = ViaA();
  EXPECT_EXACT(first);
  const uintptr_t via_a = first.expected[1];  // the frame of ViaA
  EXPECT_NE(cache->LearnedRule(via_a).kind, FrameRuleKind::kUnknown);

  epoch = 1;
  const Capture second = ViaB();
  EXPECT_EXACT(second);
  EXPECT_EQ(cache->LearnedRule(via_a).kind, FrameRuleKind::kUnknown);
  EXPECT_NE(cache->LearnedRule(second.expected[1]).kind, FrameRuleKind::kUnknown);
}

// Two threads' caches (two StackCaches here) running the same code: the
// second finds every rule the first learned, and steps libunwind not once;
// in another epoch it learns them again.
TEST_F(StackCaptureTest, RulesLearnedByOneThreadServeAnother) {
  epoch = 1000;  // no other test's rules: the shared table outlives tests
  StackCache second_thread, in_new_epoch;
  StackCache* const caches[] = {cache, &second_thread, &in_new_epoch};
  std::vector<Capture> captures;
  for (StackCache* each : caches) {
    cache = each;
    if (each == &in_new_epoch) epoch = 1001;
    captures.push_back(Recurse(6));  // one call site: the same stack
  }
  cache = owned_cache_.get();
  for (const Capture& capture : captures) EXPECT_EXACT(capture);
  EXPECT_EQ(captures[1].id, captures[0].id);
  EXPECT_GT(owned_cache_->libunwind_steps(), 0u);
  EXPECT_EQ(second_thread.libunwind_steps(), 0u);
  EXPECT_GT(in_new_epoch.libunwind_steps(), 0u);
}

TEST_F(StackCaptureTest, RecursionOfChangingDepth) {
  for (int levels : {5, 3, 8, 8, 3, 0, 12, 11, 12, 5}) {
    SCOPED_TRACE(levels);
    EXPECT_EXACT(Recurse(levels));
  }
}

std::jmp_buf jump_target;
bool jump = true;  // not a constant: GCC would call the recursion endless

__attribute__((noinline)) void CaptureThenJump(int levels, Capture* out) {
  if (levels == 0) {
    *out = Hook();
    if (jump) std::longjmp(jump_target, 1);
    return;
  }
  CaptureThenJump(levels - 1, out);
  asm volatile("" : : : "memory");
}

TEST_F(StackCaptureTest, LongjmpOutOfACapturedStack) {
  for (int round = 0; round < 3; ++round) {
    Capture deep;
    if (setjmp(jump_target) == 0) CaptureThenJump(7 + round, &deep);
    EXPECT_EXACT(deep);
    // The abandoned frames are still in memory below the stack pointer.
    EXPECT_EXACT(Recurse(2));
    EXPECT_EXACT(Leaf());
  }
}

__attribute__((noinline)) void CaptureThenThrow(int levels, Capture* out) {
  if (levels == 0) {
    *out = Hook();
    throw 42;
  }
  CaptureThenThrow(levels - 1, out);
  asm volatile("" : : : "memory");
}

TEST_F(StackCaptureTest, ExceptionsUnwindingACapturedStack) {
  for (int round = 0; round < 3; ++round) {
    Capture deep;
    try {
      CaptureThenThrow(6 + round, &deep);
    } catch (int) {
    }
    EXPECT_EXACT(deep);
    EXPECT_EXACT(Recurse(round));
  }
}

Capture in_handler;

void CapturingHandler(int) { in_handler = Recurse(2); }

__attribute__((noinline)) void RaiseAt(int levels) {
  if (levels == 0) {
    std::raise(SIGUSR1);
  } else {
    RaiseAt(levels - 1);
  }
  asm volatile("" : : : "memory");
}

TEST_F(StackCaptureTest, SignalHandlerFrames) {
  struct sigaction action = {};
  action.sa_handler = CapturingHandler;
  struct sigaction old;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
  for (int levels : {3, 3, 5, 3}) {
    SCOPED_TRACE(levels);
    EXPECT_EXACT(Recurse(levels));  // the program's own stack, remembered
    RaiseAt(levels);
    EXPECT_EXACT(in_handler);
  }
  sigaction(SIGUSR1, &old, nullptr);
}

// A frame of dynamic size (alloca makes GCC address it from rbp): at some
// combinations of depth and size, Sized runs at the same sp and ip under
// different frame bases, which only its rbp tells apart.
__attribute__((noinline)) Capture Sized(int bytes) {
  auto* buffer = static_cast<volatile char*>(__builtin_alloca(bytes));
  buffer[0] = 1;
  Capture capture = Hook();
  buffer[bytes - 1] = 2;
  return capture;
}

__attribute__((noinline)) Capture SizedAt(int levels, int bytes) {
  Capture capture = levels == 0 ? Sized(bytes) : SizedAt(levels - 1, bytes);
  asm volatile("" : : : "memory");
  return capture;
}

TEST_F(StackCaptureTest, FramesOfDynamicSize) {
  std::vector<std::pair<uintptr_t, int>> sp_and_levels;
  for (int round = 0; round < 2; ++round) {
    for (int levels = 0; levels < 3; ++levels) {
      for (int bytes = 16; bytes <= 512; bytes += 16) {
        SCOPED_TRACE(testing::Message() << levels << " levels, " << bytes << " bytes");
        Capture capture = SizedAt(levels, bytes);
        EXPECT_EXACT(capture);
        sp_and_levels.emplace_back(capture.caller_sp, levels);
      }
    }
  }
  // The case under test happened: one sp under different depths.
  bool shared_sp = false;
  for (const auto& a : sp_and_levels) {
    for (const auto& b : sp_and_levels) shared_sp |= a.first == b.first && a.second != b.second;
  }
  EXPECT_TRUE(shared_sp);
}

TEST_F(StackCaptureTest, DepthLimitKeepsTheInnermostFrames) {
  depth_limit = 5;
  for (int levels : {10, 10, 2, 9, 3, 12, 0, 12}) {
    SCOPED_TRACE(levels);
    Capture capture = Recurse(levels);
    EXPECT_EQ(capture.expected.size(), 5u);
    EXPECT_EXACT(capture);
  }
}

}  // namespace
}  // namespace heaptrail::preload
