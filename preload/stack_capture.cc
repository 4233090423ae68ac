// Stack capture with libunwind and the per-thread incremental interning.

#include "stack_capture.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

namespace heaptrail::preload {
namespace {

// A few frames of the tracker sit above the program's: the hook, the recorder.
constexpr int kTrackerFrameAllowance = 8;

constinit uintptr_t tracker_begin = 0;
constinit uintptr_t tracker_end = 0;

bool InTracker(uintptr_t ip) { return ip >= tracker_begin && ip < tracker_end; }

}  // namespace

void SetTrackerCodeRange(uintptr_t begin, uintptr_t end) {
  tracker_begin = begin;
  tracker_end = end;
}

void InitStackCapture() {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

uint32_t StackCache::CaptureAndIntern(StackDepot& depot, int depth, uint32_t epoch) {
  void* raw[kMaxStackDepth + kTrackerFrameAllowance];
  int count = unw_backtrace(raw, depth + kTrackerFrameAllowance);
  int first = 0;
  while (first < count && InTracker(reinterpret_cast<uintptr_t>(raw[first]))) ++first;
  int n = count - first;
  if (n > depth) n = depth;
  void** ips = raw + first;  // ips[0] is the innermost frame

  if (epoch != epoch_) {  // a module was unloaded: ids of the old epoch are stale
    depth_ = 0;
    epoch_ = epoch;
  }
  // Keep the outer frames shared with the previous stack.
  int same = 0;
  int limit = n < depth_ ? n : depth_;
  while (same < limit && outer_ips_[same] == reinterpret_cast<uint64_t>(ips[n - 1 - same])) {
    ++same;
  }
  uint32_t parent = same == 0 ? 0 : outer_nodes_[same - 1];
  for (int j = same; j < n; ++j) {
    uint64_t ip = reinterpret_cast<uint64_t>(ips[n - 1 - j]);
    parent = depot.Intern(parent, ip, epoch);
    outer_ips_[j] = ip;
    outer_nodes_[j] = parent;
  }
  depth_ = n;
  return parent;
}

}  // namespace heaptrail::preload
