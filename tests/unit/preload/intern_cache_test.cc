// InternCache: every id it gives is the one StackDepot::Intern gives, through
// evictions of its slots, colliding hashes and a change of epoch.

#include "intern_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

namespace heaptrail::preload {
namespace {

TEST(InternCacheTest, GivesTheDepotsIdsThroughEvictions) {
  StackDepot depot;
  ASSERT_TRUE(depot.Init());
  auto cache = std::make_unique<InternCache>();
  auto colliding_cache = std::make_unique<InternCache>();
  // Paths of 8 frames over 64 ips from 8192 random leaves: far more
  // (parent, ip) pairs than the cache has slots, each met many times.
  for (int round = 0; round < 3; ++round) {
    std::mt19937 paths(7);
    for (int path = 0; path < 8192; ++path) {
      uint32_t cached = 0, colliding = 0, direct = 0;
      uint64_t hash = 0;
      for (int depth = 0; depth < 8; ++depth) {
        uintptr_t ip = 0x400000 + 16 * (paths() % 64);
        hash = InternCache::SuffixHash(hash, ip);
        cached = cache->Intern(depot, cached, ip, 1, hash);
        // Every stack in one slot: a collision must only cost a miss.
        colliding = colliding_cache->Intern(depot, colliding, ip, 1, 42);
        direct = depot.Intern(direct, ip, 1);
        ASSERT_EQ(cached, direct) << "path " << path << " depth " << depth;
        ASSERT_EQ(colliding, direct) << "path " << path << " depth " << depth;
      }
    }
  }
}

TEST(InternCacheTest, ClearedForANewEpoch) {
  StackDepot depot;
  ASSERT_TRUE(depot.Init());
  auto cache = std::make_unique<InternCache>();
  uint64_t hash = InternCache::SuffixHash(0, 0x401000);
  uint32_t old_epoch = cache->Intern(depot, 0, 0x401000, 1, hash);
  cache->Clear();
  uint32_t new_epoch = cache->Intern(depot, 0, 0x401000, 2, hash);
  EXPECT_NE(old_epoch, new_epoch);
  EXPECT_EQ(new_epoch, depot.Intern(0, 0x401000, 2));
  EXPECT_EQ(depot.node(new_epoch).epoch, 2u);
}

}  // namespace
}  // namespace heaptrail::preload
