// Stack capture: validation of the remembered stack, a walk with the learned
// frame rules for what changed, libunwind where no rule is known.

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

bool StackCache::Splice(Splicer& splicer, uintptr_t ip, uintptr_t sp, int depth, Frames& next) {
  if (!splicer.active) return false;
  const Frames& previous = frames_[latest_];
  int& j = splicer.next_frame;
  while (j < previous.count && previous.sp[j] < sp) ++j;
  if (j == previous.count) {
    splicer.active = false;
    return false;
  }
  if (j < splicer.stale || previous.sp[j] != sp || previous.ip[j] != ip) return false;
  // Frame j again: the rest is unchanged if every slot above still holds.
  splicer.stale = FirstStaleFrame(previous, j + 1);
  if (splicer.stale != previous.count) return false;
  int total = next.count + (previous.count - j);
  if (total < depth && previous.truncated) {
    // A remembered stack cut at the depth limit cannot supply the frames now
    // in reach.
    splicer.active = false;
    return false;
  }
  int kept = total > depth ? depth - next.count : previous.count - j;
  for (int i = 0; i < kept; ++i) {
    next.ip[next.count + i] = previous.ip[j + i];
    next.sp[next.count + i] = previous.sp[j + i];
  }
  next.count += kept;
  next.truncated = previous.truncated || total > depth;
  return true;
}

StackCache::WalkResult StackCache::Walk(CallerFrame caller, int depth, Frames& next) {
  next.count = 0;
  next.truncated = false;
  uintptr_t ip = caller.ip;
  uintptr_t sp = caller.sp;
  Splicer splicer = {first_frames_[latest_].ip != 0, 0, 0};
  for (;;) {
    if (Splice(splicer, ip, sp, depth, next)) return WalkResult::kComplete;
    next.ip[next.count] = ip;
    next.sp[next.count] = sp;
    if (++next.count == depth) {
      next.truncated = true;
      return WalkResult::kComplete;
    }
    FrameRule rule = rules_.Find(ip);
    switch (rule.kind) {
      case FrameRuleKind::kSpOffset:
        break;
      case FrameRuleKind::kOutermost:
        return WalkResult::kComplete;
      case FrameRuleKind::kUnknown:
        return WalkResult::kUnknownFrame;
      case FrameRuleKind::kUnusable:
        return WalkResult::kUnusableFrame;
    }
    sp += rule.cfa_offset;
    ip = ReturnAddressBelow(sp);
  }
}

bool StackCache::UnwindAndLearn(CallerFrame caller, int depth, Frames& next) {
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
  Splicer splicer = {cacheable && first_frames_[latest_].ip != 0, 0, 0};
  for (;;) {
    // Reaching the unchanged outer part of the latest stack ends the unwind,
    // unless a frame that is no rule came before (then cacheable is false).
    if (cacheable && Splice(splicer, ip, sp, depth, next)) return true;
    next.ip[next.count] = ip;
    next.sp[next.count] = sp;
    if (++next.count == depth) {
      next.truncated = true;
      return cacheable;
    }
    bool signal_frame = unw_is_signal_frame(&cursor) > 0;
    unw_word_t rbp = 0;
    unw_get_reg(&cursor, UNW_X86_64_RBP, &rbp);
    if (unw_step(&cursor) <= 0) {
      rules_.Learn(ip, {FrameRuleKind::kOutermost, 0});
      return cacheable;
    }
    unw_word_t cfa = 0, caller_ip = 0;
    unw_get_reg(&cursor, UNW_REG_SP, &cfa);
    unw_get_reg(&cursor, UNW_REG_IP, &caller_ip);
    // Only a CFA at a fixed distance from sp, with the return address below
    // it, is a rule; a signal frame, a frame pointer (the frame may be of
    // dynamic size) or anything else is left to libunwind, and a stack with
    // such a frame is not remembered.
    if (signal_frame || cfa == rbp + 16 || cfa <= sp || cfa - sp > UINT32_MAX ||
        ReturnAddressBelow(cfa) != caller_ip) {
      rules_.Learn(ip, {FrameRuleKind::kUnusable, 0});
      cacheable = false;
    } else {
      rules_.Learn(ip, {FrameRuleKind::kSpOffset, static_cast<uint32_t>(cfa - sp)});
    }
    ip = caller_ip;
    sp = cfa;
  }
}

void StackCache::Backtrace(CallerFrame caller, int depth, Frames& next) {
  void* raw[kMaxStackDepth + kTrackerFrameAllowance + 1];
  int count = unw_backtrace(raw, depth + kTrackerFrameAllowance + 1);
  int first = 0;
  while (first < count && first <= kTrackerFrameAllowance &&
         reinterpret_cast<uintptr_t>(raw[first]) != caller.ip) {
    ++first;
  }
  next.truncated = false;
  if (first == count || first > kTrackerFrameAllowance) {  // the caller was not found
    next.ip[0] = caller.ip;
    next.count = 1;
    return;
  }
  next.count = count - first < depth ? count - first : depth;
  for (int i = 0; i < next.count; ++i) next.ip[i] = reinterpret_cast<uintptr_t>(raw[first + i]);
  next.truncated = next.count == depth;
}

uint32_t StackCache::CaptureAndIntern(StackDepot& depot, int depth, uint32_t epoch,
                                      CallerFrame caller) {
  if (epoch != epoch_) {  // a module was unloaded: ids of the old epoch are stale
    Reset();
    epoch_ = epoch;
  }
  for (int i = 0; i < kRemembered; ++i) {
    if (first_frames_[i].ip == caller.ip && first_frames_[i].sp == caller.sp &&
        FirstStaleFrame(frames_[i], 1) == frames_[i].count) {
      latest_ = i;
      return frames_[i].node[0];
    }
  }

  if (victim_ == latest_) victim_ = (victim_ + 1) % kRemembered;
  const Frames& previous = frames_[latest_];
  Frames& next = frames_[victim_];
  first_frames_[victim_] = {};  // while it is being rebuilt
  bool cacheable = true;
  switch (Walk(caller, depth, next)) {
    case WalkResult::kComplete:
      break;
    case WalkResult::kUnknownFrame:
      cacheable = UnwindAndLearn(caller, depth, next);
      break;
    case WalkResult::kUnusableFrame:
      Backtrace(caller, depth, next);
      cacheable = false;
      break;
  }

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
  if (cacheable && next.count > 0) first_frames_[victim_] = {next.ip[0], next.sp[0]};
  latest_ = victim_;
  victim_ = (victim_ + 1) % kRemembered;
  return parent;
}

}  // namespace heaptrail::preload
