// Allocation sizes in power-of-two buckets: [0, 0], [1, 1], [2, 3],
// [4, 7], ... [2^63, 2^64 - 1], with the count and the bytes of the
// allocations that fell in each. Fixed size, whatever the number of events.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_REPLAY_SIZE_HISTOGRAM_H_
#define HEAPTRAIL_ANALYZER_REPLAY_SIZE_HISTOGRAM_H_

#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace heaptrail::analyzer {

struct SizeBucket {
  uint64_t min = 0;  // inclusive bounds
  uint64_t max = 0;
  uint64_t count = 0;
  uint64_t bytes = 0;
  bool operator==(const SizeBucket&) const = default;
};

class SizeHistogram {
 public:
  // Inline: the replay calls it for every allocation.
  void Add(uint64_t size) {
    const int index = std::bit_width(size);
    counts_[index] += 1;
    bytes_[index] += size;
  }

  // The buckets from the smallest non-empty one to the largest, empty ones
  // in between included (a histogram reads better without gaps); none when
  // nothing was added.
  std::vector<SizeBucket> Buckets() const;

 private:
  // Index 0 holds size 0; index k >= 1 holds [2^(k-1), 2^k - 1].
  std::array<uint64_t, 65> counts_{};
  std::array<uint64_t, 65> bytes_{};
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPLAY_SIZE_HISTOGRAM_H_
