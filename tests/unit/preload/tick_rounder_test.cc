// TickRounder: a thread's ticks are rounded only when it is alone in this
// round and the one before, and no snapshot request began in the last two
// rounds; the window is strictly between the two rounds' ticks.

#include "tick_rounder.h"

#include <gtest/gtest.h>

namespace heaptrail::preload {
namespace {

bool Empty(TickRounding rounding) { return rounding.from == 0 && rounding.to == 0; }

// Rounds of thread 7 alone, no requests: from the third round on, rounded.
TEST(TickRounderTest, AThreadAloneIsRoundedFromItsThirdQuietRound) {
  TickRounder rounder;
  EXPECT_TRUE(Empty(rounder.Start(100, 0, true, 7)));  // one round without requests
  rounder.End(1, 7);
  TickRounding rounding = rounder.Start(200, 0, true, 7);
  EXPECT_EQ(rounding.from, 100u);
  EXPECT_EQ(rounding.to, 200u);
  rounder.End(1, 7);
  rounding = rounder.Start(300, 0, true, 7);
  EXPECT_EQ(rounding.from, 200u);
  EXPECT_EQ(rounding.to, 300u);
}

TEST(TickRounderTest, ASnapshotRequestStopsItForTwoRounds) {
  TickRounder rounder;
  for (uint64_t tick : {100, 200, 300}) {
    rounder.Start(tick, 0, true, 7);
    rounder.End(1, 7);
  }
  EXPECT_TRUE(Empty(rounder.Start(400, 1, true, 7)));  // a request began
  rounder.End(1, 7);
  EXPECT_TRUE(Empty(rounder.Start(500, 1, true, 7)));  // one quiet round
  rounder.End(1, 7);
  TickRounding rounding = rounder.Start(600, 1, true, 7);
  EXPECT_EQ(rounding.from, 500u);
  EXPECT_EQ(rounding.to, 600u);
}

TEST(TickRounderTest, AnotherThreadNowOrInThePreviousRoundStopsIt) {
  TickRounder rounder;
  for (uint64_t tick : {100, 200}) {
    rounder.Start(tick, 0, true, 7);
    rounder.End(1, 7);
  }
  EXPECT_TRUE(Empty(rounder.Start(300, 0, false, 0)));  // two threads waiting
  rounder.End(2, 7);
  EXPECT_TRUE(Empty(rounder.Start(400, 0, true, 7)));  // two in the previous round
  rounder.End(1, 8);
  EXPECT_TRUE(Empty(rounder.Start(500, 0, true, 7)));  // another one before
  rounder.End(1, 7);
  EXPECT_FALSE(Empty(rounder.Start(600, 0, true, 7)));
  rounder.End(0, 0);  // nothing drained: the next round may round
  TickRounding rounding = rounder.Start(700, 0, true, 9);
  EXPECT_EQ(rounding.from, 600u);
  EXPECT_EQ(rounding.to, 700u);
}

}  // namespace
}  // namespace heaptrail::preload
