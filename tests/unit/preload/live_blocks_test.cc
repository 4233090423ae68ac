// LiveBlocks against events that reach the writer out of their order, as
// the rounds' drains deliver them (preload/live_blocks.h).

#include "live_blocks.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "byte_writer.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::preload {
namespace {

using format::EventTag;

// One thread's rows, encoded as the recorder does.
class Rows {
 public:
  Rows& Alloc(uint64_t tick, uint64_t address, uint64_t size) {
    Tag(EventTag::kAlloc, tick);
    out_ = PutVarint(out_, size);
    Address(address);
    out_ = PutVarint(out_, 7);  // a stack id
    return *this;
  }
  Rows& Free(uint64_t tick, uint64_t address,
             format::FreeKind kind = format::FreeKind::kFree) {
    Tag(EventTag::kFree, tick, static_cast<uint8_t>(kind));
    Address(address);
    return *this;
  }
  Rows& ReallocFailed(uint64_t tick, uint64_t address) {
    Tag(EventTag::kReallocFailed, tick);
    Address(address);
    return *this;
  }
  // Hands the rows so far to `blocks`, as one drain of the ring.
  bool DrainInto(LiveBlocks& blocks) {
    bool ok = blocks.ApplyRows(bytes_, out_ - bytes_, drained_tick_, drained_address_);
    out_ = bytes_;
    return ok;
  }

 private:
  void Tag(EventTag tag, uint64_t tick, uint8_t kind = 0) {
    *out_++ = format::MakeEventTag(tag, kind);
    out_ = PutVarint(out_, tick - tick_);
    tick_ = tick;
  }
  void Address(uint64_t address) {
    out_ = PutSvarint(out_, static_cast<int64_t>(address - address_));
    address_ = address;
  }

  uint8_t bytes_[4096];
  uint8_t* out_ = bytes_;
  uint64_t tick_ = 0, address_ = 0;                  // the encoder's state
  uint64_t drained_tick_ = 0, drained_address_ = 0;  // the writer's
};

std::map<uint64_t, uint64_t> Live(const LiveBlocks& blocks) {
  std::map<uint64_t, uint64_t> live;
  blocks.ForEachLive([&](LiveBlock block) { live[block.address] = block.size; });
  return live;
}

TEST(LiveBlocksTest, OneThreadInOrder) {
  LiveBlocks blocks;
  Rows thread;
  thread.Alloc(1, 0x1000, 10).Alloc(2, 0x2000, 20).Free(3, 0x1000).Alloc(4, 0x1000, 30);
  ASSERT_TRUE(thread.DrainInto(blocks));
  EXPECT_EQ(Live(blocks), (std::map<uint64_t, uint64_t>{{0x1000, 30}, {0x2000, 20}}));
  EXPECT_EQ(blocks.live_count(), 2u);
  blocks.Reset();
}

// Thread B frees A's block and C reuses the address; the writer drains C,
// then B, then A.
TEST(LiveBlocksTest, ReleasesAndReusesSeenBeforeTheirAllocation) {
  LiveBlocks blocks;
  Rows a, b, c;
  a.Alloc(10, 0x5000, 100);
  b.Free(20, 0x5000);
  c.Alloc(30, 0x5000, 300);
  ASSERT_TRUE(c.DrainInto(blocks));
  ASSERT_TRUE(b.DrainInto(blocks));
  blocks.EndRound();
  ASSERT_TRUE(a.DrainInto(blocks));
  EXPECT_EQ(Live(blocks), (std::map<uint64_t, uint64_t>{{0x5000, 300}}));
  // A release before its allocation: the tombstone drops it when it comes.
  b.Free(40, 0x6000);
  ASSERT_TRUE(b.DrainInto(blocks));
  a.Alloc(35, 0x6000, 60);
  ASSERT_TRUE(a.DrainInto(blocks));
  EXPECT_EQ(Live(blocks).count(0x6000), 0u);
  EXPECT_EQ(blocks.live_count(), 1u);
  blocks.Reset();
}

TEST(LiveBlocksTest, FailedReallocMakesTheBlockLiveAgain) {
  LiveBlocks blocks;
  Rows thread;
  thread.Alloc(1, 0x7000, 77).Free(2, 0x7000, format::FreeKind::kRealloc).ReallocFailed(3, 0x7000);
  ASSERT_TRUE(thread.DrainInto(blocks));
  EXPECT_EQ(Live(blocks), (std::map<uint64_t, uint64_t>{{0x7000, 77}}));
  blocks.Reset();
}

// Many blocks, most freed, over many rounds: the table grows and drops old
// tombstones, and what is live stays exact.
TEST(LiveBlocksTest, GrowsAndForgetsOldTombstones) {
  LiveBlocks blocks;
  std::map<uint64_t, uint64_t> expected;
  uint64_t tick = 0;
  Rows thread;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i) {
      uint64_t address = 0x100000 + 16 * (round * 100 + i);
      thread.Alloc(++tick, address, i + 1);
      if (i % 10 != 0) {
        thread.Free(++tick, address);
      } else {
        expected[address] = i + 1;
      }
    }
    ASSERT_TRUE(thread.DrainInto(blocks));
    blocks.EndRound();
  }
  EXPECT_EQ(Live(blocks), expected);
  EXPECT_EQ(blocks.live_count(), expected.size());
  blocks.Reset();
}

// One thread, in order, at random over few addresses (so that they are
// reused), many rounds: the table against a plain map.
TEST(LiveBlocksTest, RandomTrafficMatchesAModel) {
  LiveBlocks blocks;
  std::map<uint64_t, uint64_t> model;
  Rows thread;
  uint64_t tick = 0;
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int round = 0; round < 400; ++round) {
    for (int i = 0; i < 60; ++i) {
      uint64_t address = 0x10000 + 16 * (next() % 3000);
      auto it = model.find(address);
      if (it == model.end()) {
        uint64_t size = next() % 500;
        thread.Alloc(++tick, address, size);
        model[address] = size;
      } else if (next() % 4 == 0) {  // realloc elsewhere
        uint64_t moved = 0x10000 + 16 * (next() % 3000);
        if (model.count(moved) != 0) continue;
        thread.Free(++tick, address, format::FreeKind::kRealloc);
        thread.Alloc(++tick, moved, it->second + 1);
        model[moved] = it->second + 1;
        model.erase(address);
      } else {
        thread.Free(++tick, address);
        model.erase(it);
      }
    }
    ASSERT_TRUE(thread.DrainInto(blocks));
    blocks.EndRound();
    ASSERT_EQ(Live(blocks), model) << "round " << round;
  }
  EXPECT_EQ(blocks.live_count(), model.size());
  blocks.Reset();
}

TEST(LiveBlocksTest, RowsThatDoNotDecodeTurnItOff) {
  LiveBlocks blocks;
  uint8_t garbage[] = {0xff, 0x01};
  uint64_t tick = 0, address = 0;
  EXPECT_FALSE(blocks.ApplyRows(garbage, sizeof(garbage), tick, address));
  EXPECT_FALSE(blocks.ok());
  blocks.Reset();
}

}  // namespace
}  // namespace heaptrail::preload
