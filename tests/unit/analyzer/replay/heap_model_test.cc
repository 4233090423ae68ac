// HeapModel: hand-written event sequences with exact expected numbers.

#include "replay/heap_model.h"

#include <vector>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

using format::AllocKind;
using format::FreeKind;

// Feeds events with increasing ticks (1, 2, 3, ...).
class Replay {
 public:
  Replay& Alloc(uint64_t address, uint64_t size, uint32_t stack,
                uint32_t thread = 0, AllocKind kind = AllocKind::kMalloc) {
    model.Apply(Event{.tick = ++tick,
                      .address = address,
                      .size = size,
                      .type = EventType::kAlloc,
                      .kind = static_cast<uint8_t>(kind),
                      .stack_id = stack,
                      .thread = thread});
    return *this;
  }
  Replay& Free(uint64_t address, uint32_t thread = 0,
               FreeKind kind = FreeKind::kFree, uint32_t stack = 0) {
    model.Apply(Event{.tick = ++tick,
                      .address = address,
                      .type = EventType::kFree,
                      .kind = static_cast<uint8_t>(kind),
                      .stack_id = stack,
                      .thread = thread});
    return *this;
  }
  Replay& ReallocFailed(uint64_t address, uint32_t thread = 0) {
    model.Apply(Event{.tick = ++tick,
                      .address = address,
                      .type = EventType::kReallocFailed,
                      .thread = thread});
    return *this;
  }
  Replay& Snapshot() {
    model.TakeSnapshot(++tick, model.snapshots().size(), false);
    return *this;
  }
  HeapModel model;
  uint64_t tick = 0;
};

struct Value {
  uint32_t stack;
  uint64_t bytes;
  uint64_t blocks;
  bool operator==(const Value&) const = default;
};

std::vector<Value> Values(const std::vector<StackValue>& values) {
  std::vector<Value> result;
  for (const StackValue& v : values)
    result.push_back({v.stack_id, v.bytes, v.blocks});
  return result;
}

void PrintTo(const Value& v, std::ostream* os) {
  *os << "{stack " << v.stack << ", " << v.bytes << " B, " << v.blocks
      << " blocks}";
}

TEST(HeapModelTest, CountsAllocationsFreesAndLeaks) {
  Replay r;
  r.Alloc(0x10, 100, 1).Alloc(0x20, 50, 2).Free(0x10).Alloc(0x30, 7, 1);
  const HeapTotals& t = r.model.totals();
  EXPECT_EQ(t.allocations, 3u);
  EXPECT_EQ(t.frees, 1u);
  EXPECT_EQ(t.allocated_bytes, 157u);
  EXPECT_EQ(t.live_bytes, 57u);
  EXPECT_EQ(t.live_blocks, 2u);
  EXPECT_EQ(t.peak_bytes, 150u);
  EXPECT_EQ(t.peak_blocks, 2u);
  EXPECT_EQ(t.peak_tick, 2u);
  EXPECT_EQ(t.last_tick, 4u);
  EXPECT_EQ(Values(r.model.LiveNow()),
            (std::vector<Value>{{1, 7, 1}, {2, 50, 1}}));
}

// Stack ids far beyond the distinct stacks seen (a damaged trace) are
// counted per id like small ones, without an array that large; an id first
// seen while sparse keeps its stack once small ids come close to it.
TEST(HeapModelTest, HugeStackIdsKeepOneStackEach) {
  Replay r;
  r.Alloc(0x1000, 10, 4000000000u)
      .Alloc(0x2000, 20, 70000)
      .Alloc(0x3000, 30, 4000000000u)
      .Alloc(0x4000, 40, 3)
      .Free(0x1000);
  for (uint32_t id = 100; id < 20100; ++id) r.Alloc(0x10000 + id * 16, 1, id);
  r.Alloc(0x6000, 1, 100000);  // the array now covers 70000
  r.Alloc(0x5000, 50, 70000);
  EXPECT_EQ(r.model.stacks().size(), 20004u);
  std::vector<Value> first_four = Values(r.model.LiveNow());
  first_four.resize(3);
  EXPECT_EQ(first_four, (std::vector<Value>{
                            {4000000000u, 30, 1}, {70000, 70, 2}, {3, 40, 1}}));
}

TEST(HeapModelTest, PeakSitesUseTheLazyEpochs) {
  Replay r;
  r.Alloc(0xa, 100, 1)     // live 100 (peak, epoch 1)
      .Alloc(0xb, 200, 2)  // live 300 (peak, epoch 2)
      .Free(0xa)           // stack 1 saved {100,1} in epoch 2; live 200
      .Alloc(0xc, 50, 3)   // live 250: no new peak; stack 3 saved {0,0}
      .Alloc(0xd, 30, 2)   // live 280; stack 2 saved {200,1}
      .Free(0xb)           // live 80
      .Alloc(0xe, 10, 4);  // live 90
  EXPECT_EQ(r.model.totals().peak_bytes, 300u);
  EXPECT_EQ(r.model.totals().peak_tick, 2u);
  // At the peak: stack 1 = 100, stack 2 = 200, stacks 3 and 4 did not exist.
  EXPECT_EQ(Values(r.model.LiveAtPeak()),
            (std::vector<Value>{{1, 100, 1}, {2, 200, 1}}));
  EXPECT_EQ(Values(r.model.LiveNow()),
            (std::vector<Value>{{2, 30, 1}, {3, 50, 1}, {4, 10, 1}}));
}

TEST(HeapModelTest, LaterPeakSupersedesSavedValues) {
  Replay r;
  r.Alloc(0xa, 100, 1)     // peak 100
      .Free(0xa)           // stack 1 saved {100,1}
      .Alloc(0xb, 60, 2)   // 60
      .Alloc(0xc, 70, 1);  // 130: new peak; stack 1 live {70,1}, saved is stale
  EXPECT_EQ(r.model.totals().peak_bytes, 130u);
  EXPECT_EQ(Values(r.model.LiveAtPeak()),
            (std::vector<Value>{{1, 70, 1}, {2, 60, 1}}));
  r.Free(0xc).Free(0xb);
  EXPECT_EQ(Values(r.model.LiveAtPeak()),
            (std::vector<Value>{{1, 70, 1}, {2, 60, 1}}));
  EXPECT_TRUE(r.model.LiveNow().empty());
}

TEST(HeapModelTest, ReallocSuccessMovesTheBlock) {
  Replay r;
  r.Alloc(0x10, 100, 1)
      .Alloc(0x99, 1, 9)  // another allocation: the realloc is not temporary
      .Free(0x10, 0, FreeKind::kRealloc)
      .Alloc(0x20, 300, 2, 0, AllocKind::kRealloc);
  const HeapTotals& t = r.model.totals();
  EXPECT_EQ(t.allocations, 3u);
  EXPECT_EQ(t.frees, 1u);
  EXPECT_EQ(t.allocated_bytes, 401u);
  EXPECT_EQ(t.live_bytes, 301u);
  EXPECT_EQ(t.live_blocks, 2u);
  EXPECT_EQ(t.peak_bytes, 301u);
  EXPECT_EQ(t.temporary_allocations, 0u);
  EXPECT_EQ(t.mismatched_frees, 0u);
  EXPECT_EQ(Values(r.model.LiveNow()),
            (std::vector<Value>{{9, 1, 1}, {2, 300, 1}}));
}

TEST(HeapModelTest, ReallocFailureRestoresTheBlockWithItsSizeAndStack) {
  Replay s;
  s.Alloc(0x10, 100, 1)
      .Free(0x10, 0, FreeKind::kRealloc)
      .Alloc(0x50, 40, 5, 1)  // meanwhile on thread 1
      .ReallocFailed(0x10);
  const HeapTotals& t = s.model.totals();
  EXPECT_EQ(t.allocations, 2u);
  EXPECT_EQ(t.frees, 0u);
  EXPECT_EQ(t.failed_reallocs, 1u);
  EXPECT_EQ(t.temporary_allocations, 0u);
  EXPECT_EQ(t.live_bytes, 140u);
  EXPECT_EQ(t.live_blocks, 2u);
  EXPECT_EQ(t.peak_bytes, 140u);  // restoring can make a new peak
  EXPECT_EQ(t.peak_tick, 4u);
  EXPECT_EQ(Values(s.model.LiveNow()),
            (std::vector<Value>{{1, 100, 1}, {5, 40, 1}}));
  // The restored block is still the thread's last allocation: freeing it now
  // is a temporary allocation.
  s.Free(0x10);
  EXPECT_EQ(s.model.totals().temporary_allocations, 1u);
  EXPECT_EQ(s.model.totals().frees, 1u);
}

TEST(HeapModelTest, ReallocFailureForAnotherAddressIsIgnored) {
  Replay r;
  r.Alloc(0x10, 100, 1).Free(0x10, 0, FreeKind::kRealloc).ReallocFailed(0x20);
  EXPECT_EQ(r.model.totals().live_bytes, 0u);
  EXPECT_EQ(r.model.totals().failed_reallocs, 1u);
}

TEST(HeapModelTest, ReallocOfNullIsJustAnAllocation) {
  Replay r;
  r.Alloc(0x10, 64, 1, 0, AllocKind::kRealloc);
  EXPECT_EQ(r.model.totals().allocations, 1u);
  EXPECT_EQ(r.model.totals().live_bytes, 64u);
}

TEST(HeapModelTest, MismatchedFreesAreCountedWithTheirAllocationStack) {
  Replay r;
  r.Alloc(0x10, 16, 1, 0, AllocKind::kNewArray)
      .Free(0x10, 0, FreeKind::kFree)  // new[] -> free
      .Alloc(0x20, 16, 2, 0, AllocKind::kNew)
      .Free(0x20, 0, FreeKind::kDeleteArray)  // new -> delete[]
      .Alloc(0x30, 16, 3, 0, AllocKind::kNew)
      .Free(0x30, 0, FreeKind::kDelete)  // fine
      .Alloc(0x40, 16, 4, 0, AllocKind::kCalloc)
      .Free(0x40, 0, FreeKind::kFreeSized)  // fine
      .Alloc(0x50, 16, 1, 0, AllocKind::kNewArray)
      .Free(0x50, 0, FreeKind::kFree);
  EXPECT_EQ(r.model.totals().mismatched_frees, 3u);
  const std::vector<MismatchedFree> mismatches = r.model.mismatched_frees();
  ASSERT_EQ(mismatches.size(), 2u);
  EXPECT_EQ(mismatches[0].alloc_stack, 1u);
  EXPECT_EQ(mismatches[0].alloc_kind, AllocKind::kNewArray);
  EXPECT_EQ(mismatches[0].free_kind, FreeKind::kFree);
  EXPECT_EQ(mismatches[0].count, 2u);
  EXPECT_EQ(mismatches[0].bytes, 32u);
  EXPECT_EQ(mismatches[1].alloc_stack, 2u);
  EXPECT_EQ(mismatches[1].free_kind, FreeKind::kDeleteArray);
}

TEST(HeapModelTest, MismatchedFreesAreSplitByTheirReleaseStack) {
  Replay r;
  r.Alloc(0x10, 16, 1, 0, AllocKind::kNewArray)
      .Free(0x10, 0, FreeKind::kFree, 7)
      .Alloc(0x20, 24, 1, 0, AllocKind::kNewArray)
      .Free(0x20, 0, FreeKind::kFree, 8)
      .Alloc(0x30, 40, 1, 0, AllocKind::kNewArray)
      .Free(0x30, 0, FreeKind::kFree, 7)
      .Alloc(0x40, 8, 2, 0, AllocKind::kMalloc)
      .Free(0x40, 0, FreeKind::kDelete, 9);
  EXPECT_EQ(r.model.totals().mismatched_frees, 4u);
  const std::vector<MismatchedFree> mismatches = r.model.mismatched_frees();
  ASSERT_EQ(mismatches.size(), 3u);
  EXPECT_EQ(mismatches[0].alloc_stack, 1u);
  EXPECT_EQ(mismatches[0].free_stack, 7u);
  EXPECT_EQ(mismatches[0].count, 2u);
  EXPECT_EQ(mismatches[0].bytes, 56u);
  EXPECT_EQ(mismatches[1].alloc_stack, 1u);
  EXPECT_EQ(mismatches[1].free_stack, 8u);
  EXPECT_EQ(mismatches[1].bytes, 24u);
  EXPECT_EQ(mismatches[2].alloc_stack, 2u);
  EXPECT_EQ(mismatches[2].free_stack, 9u);
  EXPECT_EQ(mismatches[2].free_kind, FreeKind::kDelete);
}

TEST(HeapModelTest,
     TemporaryAllocationsAreFreedBeforeAnyOtherAllocationOnTheirThread) {
  Replay r;
  r.Alloc(0x10, 8, 1)
      .Free(0x10)  // temporary
      .Alloc(0x20, 8, 2)
      .Alloc(0x30, 8, 2)
      .Free(0x20)            // not: 0x30 was allocated in between
      .Free(0x30)            // temporary: thread 0's last allocation
      .Alloc(0x40, 8, 3, 1)  // thread 1
      .Alloc(0x50, 8, 3, 0)  // thread 0
      .Free(0x40, 1)         // temporary: nothing else on thread 1
      .Alloc(0x60, 8, 4, 0)
      .Free(0x60, 1);  // freed by another thread: not temporary
  EXPECT_EQ(r.model.totals().temporary_allocations, 3u);
  std::vector<uint64_t> temporary_by_stack;
  for (const StackStats& s : r.model.stacks()) {
    temporary_by_stack.push_back(s.temporary_count);
  }
  EXPECT_EQ(temporary_by_stack, (std::vector<uint64_t>{1, 1, 1, 0}));
}

TEST(HeapModelTest, UnknownFreesAreCountedSeparately) {
  Replay r;
  r.Free(0x1234).Alloc(0x10, 8, 1).Free(0x10).Free(0x10);
  EXPECT_EQ(r.model.totals().unknown_frees, 2u);
  EXPECT_EQ(r.model.totals().frees, 1u);
  EXPECT_EQ(r.model.totals().live_bytes, 0u);
}

TEST(HeapModelTest, AllocationOverALiveAddressReplacesTheOldBlock) {
  Replay r;
  r.Alloc(0x10, 100, 1).Alloc(0x10, 30, 2);
  EXPECT_EQ(r.model.totals().reused_live_addresses, 1u);
  EXPECT_EQ(r.model.totals().live_bytes, 30u);
  EXPECT_EQ(r.model.totals().live_blocks, 1u);
  EXPECT_EQ(Values(r.model.LiveNow()), (std::vector<Value>{{2, 30, 1}}));
}

TEST(HeapModelTest, SnapshotsRecordTheLiveTableAtTheirPlace) {
  Replay r;
  r.Alloc(0x10, 100, 1)
      .Alloc(0x20, 20, 2)
      .Snapshot()
      .Free(0x10)
      .Alloc(0x30, 5, 2)
      .Snapshot();
  const std::vector<SnapshotState>& snapshots = r.model.snapshots();
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(snapshots[0].id, 1u);
  EXPECT_EQ(snapshots[0].tick, 3u);
  EXPECT_EQ(snapshots[0].live_bytes, 120u);
  EXPECT_EQ(snapshots[0].live_blocks, 2u);
  EXPECT_EQ(Values(snapshots[0].stacks),
            (std::vector<Value>{{1, 100, 1}, {2, 20, 1}}));
  EXPECT_EQ(snapshots[1].id, 2u);
  EXPECT_EQ(snapshots[1].record_index, 1u);
  EXPECT_EQ(snapshots[1].live_bytes, 25u);
  EXPECT_EQ(Values(snapshots[1].stacks), (std::vector<Value>{{2, 25, 2}}));
}

TEST(HeapModelTest, PerStackAllocationCounts) {
  Replay r;
  r.Alloc(0x10, 100, 7).Free(0x10).Alloc(0x10, 50, 7).Alloc(0x20, 1, 8);
  ASSERT_EQ(r.model.stacks().size(), 2u);
  EXPECT_EQ(r.model.stacks()[0].stack_id, 7u);
  EXPECT_EQ(r.model.stacks()[0].alloc_count, 2u);
  EXPECT_EQ(r.model.stacks()[0].alloc_bytes, 150u);
  EXPECT_EQ(r.model.stacks()[1].alloc_count, 1u);
}

}  // namespace
}  // namespace heaptrail::analyzer
