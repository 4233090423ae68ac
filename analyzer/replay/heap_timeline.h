// The live heap over time, downsampled while the events are replayed: at
// most kMaxBuckets buckets of equal width in ticks, each holding the live
// bytes at its end and the highest value inside it (so a short spike, the
// peak among them, is never averaged away). When a tick falls past the last
// bucket, the width doubles and neighbouring buckets merge: memory stays
// bounded whatever the number of events.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_REPLAY_HEAP_TIMELINE_H_
#define HEAPTRAIL_ANALYZER_REPLAY_HEAP_TIMELINE_H_

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <vector>

namespace heaptrail::analyzer {

struct TimelinePoint {
  uint64_t tick = 0;  // start of the bucket
  uint64_t last = 0;  // live bytes after the bucket's last event
  uint64_t max = 0;   // highest live bytes inside the bucket
};

class HeapTimeline {
 public:
  static constexpr size_t kMaxBuckets = 2048;

  // The live heap became `live_bytes` at `tick`; ticks never go backwards.
  // Inline: it runs once per event, and nearly always in the last bucket.
  void Record(uint64_t tick, uint64_t live_bytes) {
    if (tick < last_bucket_end_) {
      Bucket& bucket = buckets_.back();  // used: it is only made to be
      bucket.last = live_bytes;
      bucket.max = std::max(bucket.max, live_bytes);
      return;
    }
    RecordInNewBucket(tick, live_bytes);
  }

  // One point per bucket that saw an event, in time order.
  std::vector<TimelinePoint> Points() const;

 private:
  struct Bucket {
    uint64_t last = 0;
    uint64_t max = 0;
    bool used = false;
  };
  void RecordInNewBucket(uint64_t tick, uint64_t live_bytes);
  void Coarsen();

  uint32_t shift_ = 0;  // log2 of the ticks per bucket
  std::vector<Bucket> buckets_;
  // The first tick past the last bucket (0 while there is none): the ticks
  // below it and not below an earlier bucket's end fall in the last one.
  uint64_t last_bucket_end_ = 0;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPLAY_HEAP_TIMELINE_H_
