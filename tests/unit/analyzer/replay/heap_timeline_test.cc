// HeapTimeline: bounded buckets that keep each bucket's end value and its
// maximum, so the peak survives downsampling.

#include "replay/heap_timeline.h"

#include <vector>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

TEST(HeapTimelineTest, FewEventsKeepOnePointEach) {
  HeapTimeline timeline;
  timeline.Record(0, 10);
  timeline.Record(5, 30);
  timeline.Record(7, 20);
  const std::vector<TimelinePoint> points = timeline.Points();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[1].tick, 5u);
  EXPECT_EQ(points[1].last, 30u);
  EXPECT_EQ(points[2].max, 20u);
}

TEST(HeapTimelineTest, ManyEventsStayBoundedAndKeepThePeak) {
  HeapTimeline timeline;
  uint64_t live = 0;
  for (uint64_t tick = 0; tick < 1'000'000; ++tick) {
    live = tick == 654'321 ? 999'999 : tick % 100;  // one spike
    timeline.Record(tick, live);
  }
  const std::vector<TimelinePoint> points = timeline.Points();
  EXPECT_LE(points.size(), HeapTimeline::kMaxBuckets);
  EXPECT_GE(points.size(), HeapTimeline::kMaxBuckets / 2);
  uint64_t highest = 0;
  for (const TimelinePoint& point : points)
    highest = std::max(highest, point.max);
  EXPECT_EQ(highest, 999'999u);
  EXPECT_EQ(points.back().last, live);  // the end value is exact
  for (size_t i = 1; i < points.size(); ++i) {
    EXPECT_LT(points[i - 1].tick, points[i].tick);
  }
}

}  // namespace
}  // namespace heaptrail::analyzer
