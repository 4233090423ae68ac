// Reachability on blocks and roots laid out in this test's own memory, one
// case per rule of memcheck's classification (preload/reachability.h).

#include "reachability.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "safe_read.h"

namespace heaptrail::preload {
namespace {

using format::LeakHeuristic;
using format::LeakKind;

constexpr size_t kWords = 8;  // each block: 64 bytes

class ReachabilityTest : public ::testing::Test {
 protected:
  // Block i: the words at heap_[i * kWords].
  uint64_t Address(size_t i, size_t word = 0) {
    return reinterpret_cast<uint64_t>(&heap_[i * kWords + word]);
  }
  void Store(size_t i, size_t word, uint64_t value) { heap_[i * kWords + word] = value; }

  // Classifies `count` blocks (the first `sizes.size()` with those sizes)
  // from `roots`.
  std::vector<ScanBlock> Classify(const std::vector<uint64_t>& roots,
                                  const std::vector<uint64_t>& sizes) {
    std::vector<ScanBlock> blocks;
    for (size_t i = 0; i < sizes.size(); ++i) blocks.push_back({Address(i), sizes[i], {}, {}, false});
    std::vector<uint32_t> mark_stack(blocks.size());
    ScopedFaultGuard guard;
    Reachability reachability(blocks.data(), blocks.size(), mark_stack.data(), nullptr, 0,
                              /*blocks_stable=*/true);
    reachability.ScanRoot(reinterpret_cast<uint64_t>(roots.data()),
                          reinterpret_cast<uint64_t>(roots.data() + roots.size()));
    reachability.Finish();
    return blocks;
  }

  alignas(16) uint64_t heap_[16 * kWords] = {};
};

TEST_F(ReachabilityTest, StartPointersChainFromARoot) {
  Store(0, 3, Address(1));  // 0 -> 1
  std::vector<ScanBlock> blocks = Classify({Address(0)}, {64, 64, 64});
  EXPECT_EQ(blocks[0].kind, LeakKind::kReachable);
  EXPECT_EQ(blocks[1].kind, LeakKind::kReachable);
  EXPECT_EQ(blocks[2].kind, LeakKind::kDefinite);
}

TEST_F(ReachabilityTest, InteriorPointersMakePossiblyLostAndWhatTheyReachToo) {
  Store(0, 5, Address(1));  // 0 -> 1, but 0 is found through its middle
  std::vector<ScanBlock> blocks = Classify({Address(0, 2)}, {64, 64});
  EXPECT_EQ(blocks[0].kind, LeakKind::kPossible);
  EXPECT_EQ(blocks[1].kind, LeakKind::kPossible);
  // A start pointer as well: reachable, and so is what it points to.
  blocks = Classify({Address(0, 2), Address(0)}, {64, 64});
  EXPECT_EQ(blocks[0].kind, LeakKind::kReachable);
  EXPECT_EQ(blocks[1].kind, LeakKind::kReachable);
}

TEST_F(ReachabilityTest, UnreachedCyclesAndTreesHaveOneDefiniteLeader) {
  Store(0, 0, Address(1));  // cycle 0 -> 1 -> 2 -> 0
  Store(1, 0, Address(2));
  Store(2, 0, Address(0, 4));  // an interior pointer closes it
  Store(3, 1, Address(4));     // tree 3 -> 4, 3 -> 5 (interior)
  Store(3, 2, Address(5, 1));
  std::vector<ScanBlock> blocks = Classify({}, {64, 64, 64, 64, 64, 64});
  EXPECT_EQ(blocks[0].kind, LeakKind::kDefinite);  // the lowest address
  EXPECT_EQ(blocks[1].kind, LeakKind::kIndirect);
  EXPECT_EQ(blocks[2].kind, LeakKind::kIndirect);
  EXPECT_EQ(blocks[3].kind, LeakKind::kDefinite);
  EXPECT_EQ(blocks[4].kind, LeakKind::kIndirect);
  EXPECT_EQ(blocks[5].kind, LeakKind::kIndirect);
}

TEST_F(ReachabilityTest, HeuristicsTakeSomeInteriorPointersForStarts) {
  // length64: the block's size less 8 in front, a pointer just behind it.
  Store(0, 0, 56);
  // newarray: a count of 3 in front of 48 bytes of elements (a 56-byte
  // block, whose length64 would be 48, not 3).
  Store(1, 0, 3);
  // stdstring: length 10, capacity 39, refcount; 24 + 39 + 1 = 64 bytes.
  Store(2, 0, 10);
  Store(2, 1, 39);
  // None: an interior pointer at +8 in front of a zero count.
  std::vector<ScanBlock> blocks =
      Classify({Address(0, 1), Address(1, 1), Address(2, 3), Address(3, 1)}, {64, 56, 64, 64});
  EXPECT_EQ(blocks[0].kind, LeakKind::kReachable);
  EXPECT_EQ(blocks[0].heuristic, LeakHeuristic::kLength64);
  EXPECT_EQ(blocks[1].kind, LeakKind::kReachable);
  EXPECT_EQ(blocks[1].heuristic, LeakHeuristic::kNewArray);
  EXPECT_EQ(blocks[2].kind, LeakKind::kReachable);
  EXPECT_EQ(blocks[2].heuristic, LeakHeuristic::kStdString);
  EXPECT_EQ(blocks[3].kind, LeakKind::kPossible);
  EXPECT_EQ(blocks[3].heuristic, LeakHeuristic::kNone);
}

TEST_F(ReachabilityTest, AnEmptyBlockIsFoundByAPointerToItsStart) {
  std::vector<ScanBlock> blocks = Classify({Address(0)}, {0, 0});
  EXPECT_EQ(blocks[0].kind, LeakKind::kReachable);
  EXPECT_EQ(blocks[1].kind, LeakKind::kDefinite);
}

}  // namespace
}  // namespace heaptrail::preload
