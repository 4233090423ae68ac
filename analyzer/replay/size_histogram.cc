// SizeHistogram: the bucket of a size is its bit width.

#include "replay/size_histogram.h"

#include <cstddef>

namespace heaptrail::analyzer {

std::vector<SizeBucket> SizeHistogram::Buckets() const {
  size_t first = 0;
  while (first < counts_.size() && counts_[first] == 0) ++first;
  size_t last = counts_.size();
  while (last > first && counts_[last - 1] == 0) --last;
  std::vector<SizeBucket> buckets;
  for (size_t i = first; i < last; ++i) {
    SizeBucket bucket;
    bucket.min = i == 0 ? 0 : uint64_t{1} << (i - 1);
    bucket.max = i == 0 ? 0 : (i == 64 ? ~uint64_t{0} : (uint64_t{1} << i) - 1);
    bucket.count = counts_[i];
    bucket.bytes = bytes_[i];
    buckets.push_back(bucket);
  }
  return buckets;
}

}  // namespace heaptrail::analyzer
