// StackDepot: one id per (parent, ip, epoch), dense, stable under concurrent
// inserts from several threads.

#include "stack_depot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

namespace heaptrail::preload {
namespace {

TEST(StackDepotTest, InternsEachKeyOnce) {
  StackDepot depot;
  ASSERT_TRUE(depot.Init());
  uint32_t a = depot.Intern(0, 0x1000, 0);
  uint32_t b = depot.Intern(a, 0x2000, 0);
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(depot.Intern(0, 0x1000, 0), a);
  EXPECT_EQ(depot.Intern(a, 0x2000, 0), b);
  EXPECT_EQ(depot.allocated(), 3u);
  EXPECT_EQ(depot.node(b).parent, a);
  EXPECT_EQ(depot.node(b).ip.load(), 0x2000u);
}

TEST(StackDepotTest, EpochsAndParentsSeparateNodes) {
  StackDepot depot;
  ASSERT_TRUE(depot.Init());
  uint32_t in_epoch0 = depot.Intern(0, 0x1000, 0);
  uint32_t in_epoch1 = depot.Intern(0, 0x1000, 1);
  uint32_t other_parent = depot.Intern(in_epoch0, 0x1000, 0);
  EXPECT_NE(in_epoch0, in_epoch1);
  EXPECT_NE(in_epoch0, other_parent);
  EXPECT_EQ(depot.node(in_epoch1).epoch, 1u);
  EXPECT_EQ(depot.allocated(), 4u);
}

// Every thread interns the same chains of frames, in its own order; all must
// agree on every id and no key may be stored twice.
TEST(StackDepotTest, ConcurrentInsertsAgree) {
  constexpr int kThreads = 4;
  constexpr int kChains = 2000;
  constexpr int kDepth = 12;
  StackDepot depot;
  ASSERT_TRUE(depot.Init());
  std::vector<std::vector<uint32_t>> leaves(kThreads, std::vector<uint32_t>(kChains));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int> order(kChains);
      for (int i = 0; i < kChains; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(t));
      for (int chain : order) {
        uint32_t parent = 0;
        // Chains share their first frames, so inserts collide on nodes.
        for (int depth = 0; depth < kDepth; ++depth) {
          uint64_t ip = 0x400000 + (depth < 4 ? depth : chain * 64 + depth);
          parent = depot.Intern(parent, ip, 0);
        }
        leaves[t][chain] = parent;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(leaves[t], leaves[0]);
  // 4 shared frames, then 8 distinct frames per chain, plus the root.
  EXPECT_EQ(depot.allocated(), 1u + 4 + kChains * (kDepth - 4));
  for (uint32_t id = 1; id < depot.allocated(); ++id) {
    EXPECT_LT(depot.node(id).parent, id);
    EXPECT_NE(depot.node(id).ip.load(), 0u);
  }
}

}  // namespace
}  // namespace heaptrail::preload
