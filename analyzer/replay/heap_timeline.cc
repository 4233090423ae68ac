// HeapTimeline: fixed-capacity buckets whose width doubles as time goes on.

#include "replay/heap_timeline.h"

#include <algorithm>
#include <utility>

namespace heaptrail::analyzer {

void HeapTimeline::RecordInNewBucket(uint64_t tick, uint64_t live_bytes) {
  while ((tick >> shift_) >= kMaxBuckets) Coarsen();
  const size_t index = tick >> shift_;
  if (index >= buckets_.size()) buckets_.resize(index + 1);
  Bucket& bucket = buckets_[index];
  bucket.last = live_bytes;
  bucket.max = bucket.used ? std::max(bucket.max, live_bytes) : live_bytes;
  bucket.used = true;
  // The last bucket ends at (index + 1) << shift_, or past every tick.
  const uint64_t end = uint64_t{index} + 1;
  last_bucket_end_ =
      end <= (~uint64_t{0} >> shift_) ? end << shift_ : ~uint64_t{0};
}

void HeapTimeline::Coarsen() {
  std::vector<Bucket> merged((buckets_.size() + 1) / 2);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    const Bucket& from = buckets_[i];
    if (!from.used) continue;
    Bucket& to = merged[i / 2];
    // Buckets are visited in time order: the later one's end value wins.
    to.max = to.used ? std::max(to.max, from.max) : from.max;
    to.last = from.last;
    to.used = true;
  }
  buckets_ = std::move(merged);
  ++shift_;
  last_bucket_end_ = 0;  // the next Record() finds the last bucket again
}

std::vector<TimelinePoint> HeapTimeline::Points() const {
  std::vector<TimelinePoint> points;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (!buckets_[i].used) continue;
    points.push_back({uint64_t{i} << shift_, buckets_[i].last, buckets_[i].max});
  }
  return points;
}

}  // namespace heaptrail::analyzer
