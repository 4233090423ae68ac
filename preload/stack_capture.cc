// Stack capture: validation of the remembered stack, libunwind for the frames
// that changed, and incremental interning.

#include "stack_capture.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

namespace heaptrail::preload {
namespace {

// The tracker's own frames between the unwinder and the hook's caller (the
// recorder, the hook) are few; more means the caller is not on this stack.
constexpr int kTrackerFrameAllowance = 8;

// The return address that is the ip of a frame (other than the innermost)
// with stack pointer `sp`: the call out of that frame pushed it just below.
uintptr_t ReturnAddressBelow(uintptr_t sp) { return *reinterpret_cast<const uintptr_t*>(sp - 8); }

}  // namespace

void InitStackCapture() {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

int StackCache::FirstStaleFrame(const Frames& frames, int from) {
  int i = from;
  while (i < frames.count && ReturnAddressBelow(frames.sp[i]) == frames.ip[i]) ++i;
  return i;
}

bool StackCache::Unwind(CallerFrame caller, int depth, Frames& next) {
  const Frames& previous = frames_[current_];
  next.count = 0;
  next.truncated = false;
  unw_context_t context;
  unw_cursor_t cursor;
  if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0) return false;

  // Step out of the tracker, up to the first frame of the program.
  unw_word_t ip = 0, sp = 0;
  for (int skipped = 0;; ++skipped) {
    if (skipped > kTrackerFrameAllowance || unw_step(&cursor) <= 0) return false;
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
    if (sp >= caller.sp) break;
  }
  unw_get_reg(&cursor, UNW_REG_IP, &ip);
  bool cacheable = ip == caller.ip && sp == caller.sp;
  bool splicing = cacheable && reusable_;
  int j = 0;      // the first remembered frame whose sp is not below the current one
  int stale = 0;  // remembered frames below this one have changed slots above them

  for (;;) {
    if (unw_is_signal_frame(&cursor) > 0) cacheable = splicing = false;  // be conservative
    if (splicing) {
      while (j < previous.count && previous.sp[j] < sp) ++j;
      if (j == previous.count) {
        splicing = false;
      } else if (j >= stale && previous.sp[j] == sp && previous.ip[j] == ip) {
        // Frame j again: the rest is unchanged if every slot above still holds.
        stale = FirstStaleFrame(previous, j + 1);
        int total = next.count + (previous.count - j);
        if (stale == previous.count && (total >= depth || !previous.truncated)) {
          int kept = total > depth ? depth - next.count : previous.count - j;
          for (int i = 0; i < kept; ++i) {
            next.ip[next.count + i] = previous.ip[j + i];
            next.sp[next.count + i] = previous.sp[j + i];
          }
          next.count += kept;
          next.truncated = previous.truncated || total > depth;
          return true;
        }
        // A remembered stack cut at the depth limit cannot supply the frames
        // now in reach: unwind them.
        if (stale == previous.count) splicing = false;
      }
    }
    next.ip[next.count] = ip;
    next.sp[next.count] = sp;
    if (++next.count == depth) {
      next.truncated = true;
      return cacheable;
    }
    if (unw_step(&cursor) <= 0) return cacheable;
    unw_get_reg(&cursor, UNW_REG_IP, &ip);
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
  }
}

uint32_t StackCache::CaptureAndIntern(StackDepot& depot, int depth, uint32_t epoch,
                                      CallerFrame caller) {
  if (epoch != epoch_) {  // a module was unloaded: ids of the old epoch are stale
    Reset();
    epoch_ = epoch;
  }
  const Frames& previous = frames_[current_];
  if (reusable_ && previous.count > 0 && previous.ip[0] == caller.ip &&
      previous.sp[0] == caller.sp && FirstStaleFrame(previous, 1) == previous.count) {
    return previous.node[0];
  }

  Frames& next = frames_[current_ ^ 1];
  bool cacheable = Unwind(caller, depth, next);

  // The outer frames shared with the previous stack keep their nodes.
  int shared = 0;
  int limit = next.count < previous.count ? next.count : previous.count;
  while (shared < limit &&
         next.ip[next.count - 1 - shared] == previous.ip[previous.count - 1 - shared]) {
    next.node[next.count - 1 - shared] = previous.node[previous.count - 1 - shared];
    ++shared;
  }
  uint32_t parent = shared == 0 ? 0 : next.node[next.count - shared];
  for (int i = next.count - 1 - shared; i >= 0; --i) {
    parent = depot.Intern(parent, next.ip[i], epoch);
    next.node[i] = parent;
  }
  current_ ^= 1;
  reusable_ = cacheable;
  return parent;
}

}  // namespace heaptrail::preload
