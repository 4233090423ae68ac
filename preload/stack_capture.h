// Capture of the caller's stack with libunwind (DWARF CFI: frame pointers are
// not needed) and its conversion into a StackDepot id.
//
// Each thread remembers the stack it captured last; only the frames that
// differ from it at the inner end are looked up in the depot, so a loop that
// allocates from one place costs one compare of the frames per event.
//
// Thread-safety: a StackCache belongs to one thread.

#ifndef HEAPTRAIL_PRELOAD_STACK_CAPTURE_H_
#define HEAPTRAIL_PRELOAD_STACK_CAPTURE_H_

#include <cstdint>

#include "stack_depot.h"

namespace heaptrail::preload {

inline constexpr int kMaxStackDepth = 256;

// Frames of the tracker itself (the hooks) are dropped from every stack: they
// lie in [begin, end), the text of libheaptrail.so.
void SetTrackerCodeRange(uintptr_t begin, uintptr_t end);

// Sets up libunwind's per-thread caches. Called once at start-up.
void InitStackCapture();

class StackCache {
 public:
  // Captures the current stack (at most `depth` frames outside the tracker)
  // and returns the id of its innermost node in `depot`.
  uint32_t CaptureAndIntern(StackDepot& depot, int depth, uint32_t epoch);

 private:
  // outer_ips_[j] is the j-th frame counted from the outermost one of the
  // previous stack, outer_nodes_[j] the node of the stack made of the j+1
  // outermost frames.
  uint64_t outer_ips_[kMaxStackDepth];
  uint32_t outer_nodes_[kMaxStackDepth];
  int depth_ = 0;
  uint32_t epoch_ = 0;
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_STACK_CAPTURE_H_
