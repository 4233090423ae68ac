// Stack capture: validation of the remembered stacks, a walk with the learned
// frame rules for what changed, libunwind where no rule is known.

#include "stack_capture.h"

#include <sys/ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shared_frame_rules.h"

namespace heaptrail::preload {
namespace {

// The tracker's own frames between the unwinder and the hook's caller (the
// recorder, the hook) are few; more means the caller is not on this stack.
constexpr int kTrackerFrameAllowance = 8;

// What any thread learned: a thread asks here before libunwind.
constinit SharedFrameRules shared_rules;

// A walked frame larger than this is taken for a sign of a wrong rbp, and
// left to libunwind.
constexpr uintptr_t kMaxFrameSize = uintptr_t{1} << 20;

uintptr_t Load(uintptr_t address) { return *reinterpret_cast<const uintptr_t*>(address); }

// The return address that is the ip of a frame (other than the innermost)
// with stack pointer `sp`: the call out of that frame pushed it just below.
uintptr_t ReturnAddressBelow(uintptr_t sp) { return Load(sp - 8); }

// What libunwind's step out of the frame at `cursor` (with stack pointer sp
// and rbp) found: unw_step's status and, when it is positive, the caller's
// frame and the rule that leads there.
struct Step {
  int status;
  uintptr_t cfa;
  uintptr_t caller_ip;
  uintptr_t caller_rbp;
  uintptr_t rbp_slot;  // where the frame saved the caller's rbp; 0: it kept it
  FrameRule rule;
};

Step StepOut(unw_cursor_t& cursor, uintptr_t sp, uintptr_t rbp) {
  Step step = {};
  bool signal_frame = unw_is_signal_frame(&cursor) > 0;
  step.status = unw_step(&cursor);
  if (step.status <= 0) return step;
  unw_word_t cfa = 0, caller_ip = 0, caller_rbp = 0;
  unw_get_reg(&cursor, UNW_REG_SP, &cfa);
  unw_get_reg(&cursor, UNW_REG_IP, &caller_ip);
  unw_get_reg(&cursor, UNW_X86_64_RBP, &caller_rbp);
  step.cfa = cfa;
  step.caller_ip = caller_ip;
  step.caller_rbp = caller_rbp;
  // Where this frame saved its caller's rbp, if it did.
  unw_save_loc_t location;
  if (unw_get_save_loc(&cursor, UNW_X86_64_RBP, &location) == 0 &&
      location.type == UNW_SLT_MEMORY && location.u.addr >= sp && location.u.addr < cfa) {
    step.rbp_slot = location.u.addr;
  }
  bool consistent = cfa > sp && cfa - sp <= kMaxFrameSize &&
                    ReturnAddressBelow(cfa) == caller_ip &&
                    (step.rbp_slot != 0 ? Load(step.rbp_slot) == caller_rbp : caller_rbp == rbp);
  step.rule = {FrameRuleKind::kUnusable, 0, 0};
  if (!signal_frame && consistent) {
    uint32_t saved_below = step.rbp_slot != 0 ? static_cast<uint32_t>(cfa - step.rbp_slot) : 0;
    if (cfa == rbp + 16) {
      step.rule = {FrameRuleKind::kRbpBased, 16, saved_below};
    } else {
      step.rule = {FrameRuleKind::kSpBased, static_cast<uint32_t>(cfa - sp), saved_below};
    }
  }
  return step;
}

}  // namespace

void InitStackCapture() {
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

int StackCache::FirstStaleFrame(const Frames& frames, int from) {
  int i = from;
  while (i < frames.count && ReturnAddressBelow(frames.sp[i]) == frames.ip[i] &&
         (frames.rbp_slot[i] == 0 || !frames.rbp_matters[i] ||
          Load(frames.rbp_slot[i]) == frames.rbp[i])) {
    ++i;
  }
  return i;
}

bool StackCache::SlotsHold(const Frames& frames) {
  for (int i = 0; i < frames.check_count; ++i) {
    if (Load(frames.checks[i].address) != frames.checks[i].value) return false;
  }
  return true;
}

void StackCache::Append(Frames& next, uintptr_t ip, uintptr_t sp, uintptr_t rbp,
                        uintptr_t rbp_slot) {
  int i = next.count++;
  next.ip[i] = ip;
  next.sp[i] = sp;
  next.rbp[i] = rbp;
  next.rbp_slot[i] = rbp_slot;
  next.rbp_based[i] = false;  // until its rule is known
}

bool StackCache::Splice(Splicer& splicer, uintptr_t ip, uintptr_t sp, uintptr_t rbp,
                        uintptr_t rbp_slot, int depth, Frames& next) {
  if (!splicer.active) return false;
  const Frames& previous = frames_[latest_];
  int& j = splicer.next_frame;
  while (j < previous.count && previous.sp[j] < sp) ++j;
  if (j == previous.count) {
    splicer.active = false;
    return false;
  }
  if (j < splicer.stale || previous.sp[j] != sp || previous.ip[j] != ip ||
      (previous.rbp_matters[j] && previous.rbp[j] != rbp)) {
    return false;
  }
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
    int to = next.count + i;
    next.ip[to] = previous.ip[j + i];
    next.sp[to] = previous.sp[j + i];
    next.rbp[to] = previous.rbp[j + i];
    next.rbp_slot[to] = previous.rbp_slot[j + i];
    next.rbp_based[to] = previous.rbp_based[j + i];
  }
  // The first spliced frame was reached by this capture's own walk.
  next.rbp_slot[next.count] = rbp_slot;
  next.count += kept;
  next.truncated = previous.truncated || total > depth;
  return true;
}

StackCache::WalkResult StackCache::Walk(CallerFrame caller, int depth, Frames& next) {
  next.count = 0;
  next.truncated = false;
  next.sps_known = true;
  uintptr_t ip = caller.ip, sp = caller.sp, rbp = caller.rbp, rbp_slot = 0;
  Splicer splicer = {first_frames_[latest_].ip != 0, 0, 0};
  for (;;) {
    if (Splice(splicer, ip, sp, rbp, rbp_slot, depth, next)) return WalkResult::kComplete;
    Append(next, ip, sp, rbp, rbp_slot);
    if (next.count == depth) {
      next.truncated = true;
      return WalkResult::kComplete;
    }
    FrameRule rule = rules_.Find(ip);
    if (rule.kind == FrameRuleKind::kUnknown) rule = LearnOne(ip, sp, rbp);
    uintptr_t cfa;
    switch (rule.kind) {
      case FrameRuleKind::kSpBased:
        cfa = sp + rule.cfa_offset;
        break;
      case FrameRuleKind::kRbpBased:
        cfa = rbp + rule.cfa_offset;
        next.rbp_based[next.count - 1] = true;
        if (cfa <= sp || cfa - sp > kMaxFrameSize) return WalkResult::kUnusableFrame;
        break;
      case FrameRuleKind::kOutermost:
        return WalkResult::kComplete;
      case FrameRuleKind::kUnknown:
        return WalkResult::kUnknownFrame;
      case FrameRuleKind::kUnusable:
      default:
        return WalkResult::kUnusableFrame;
    }
    if (rule.rbp_saved_below_cfa != 0) {
      rbp_slot = cfa - rule.rbp_saved_below_cfa;
      rbp = Load(rbp_slot);
    } else {
      rbp_slot = 0;
    }
    ip = ReturnAddressBelow(cfa);
    sp = cfa;
  }
}

void StackCache::Learn(uintptr_t ip, FrameRule rule) {
  rules_.Learn(ip, rule);
  shared_rules.Learn(ip, epoch_, rule);
}

FrameRule StackCache::LearnOne(uintptr_t ip, uintptr_t sp, uintptr_t rbp) {
  if (FrameRule shared = shared_rules.Find(ip, epoch_); shared.kind != FrameRuleKind::kUnknown) {
    rules_.Learn(ip, shared);
    return shared;
  }
  unw_context_t context;
  if (unw_getcontext(&context) != 0) return {FrameRuleKind::kUnknown, 0, 0};
  // The frame's ip, sp and rbp are known; a rule needs no other register.
  // The others are set to sp, so that a rule that did read one (none that
  // a walk can use does) reads the stack, not a wild address.
  greg_t* registers = context.uc_mcontext.gregs;
  for (int r : {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_R8, REG_R9, REG_R10,
                REG_R11, REG_R12, REG_R13, REG_R14, REG_R15}) {
    registers[r] = static_cast<greg_t>(sp);
  }
  registers[REG_RIP] = static_cast<greg_t>(ip);
  registers[REG_RSP] = static_cast<greg_t>(sp);
  registers[REG_RBP] = static_cast<greg_t>(rbp);
  unw_cursor_t cursor;
  if (unw_init_local(&cursor, &context) != 0) return {FrameRuleKind::kUnknown, 0, 0};
  ++libunwind_steps_;
  Step step = StepOut(cursor, sp, rbp);
  // The end of the stack, or a frame only real registers can step out of:
  // left to a whole unwind.
  if (step.status <= 0 || step.rule.kind == FrameRuleKind::kUnusable) {
    return {FrameRuleKind::kUnknown, 0, 0};
  }
  Learn(ip, step.rule);
  return step.rule;
}

bool StackCache::UnwindAndLearn(CallerFrame caller, int depth, Frames& next) {
  next.count = 0;
  next.truncated = false;
  next.sps_known = true;
  unw_context_t context;
  unw_cursor_t cursor;
  if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0) return false;

  // Step out of the tracker, up to the first frame of the program.
  unw_word_t ip = 0, sp = 0, rbp = 0;
  for (int skipped = 0;; ++skipped) {
    if (skipped > kTrackerFrameAllowance) return false;
    ++libunwind_steps_;
    if (unw_step(&cursor) <= 0) return false;
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
    if (sp >= caller.sp) break;
  }
  unw_get_reg(&cursor, UNW_REG_IP, &ip);
  unw_get_reg(&cursor, UNW_X86_64_RBP, &rbp);
  bool cacheable = ip == caller.ip && sp == caller.sp && rbp == caller.rbp;
  uintptr_t rbp_slot = 0;
  Splicer splicer = {cacheable && first_frames_[latest_].ip != 0, 0, 0};
  for (;;) {
    // Reaching the unchanged outer part of the latest stack ends the unwind,
    // unless a frame no rule describes came before (then it is not cacheable).
    if (cacheable && Splice(splicer, ip, sp, rbp, rbp_slot, depth, next)) return true;
    Append(next, ip, sp, rbp, rbp_slot);
    if (next.count == depth) {
      next.truncated = true;
      return cacheable;
    }
    ++libunwind_steps_;
    Step step = StepOut(cursor, sp, rbp);
    if (step.status <= 0) {
      Learn(ip, {FrameRuleKind::kOutermost, 0, 0});
      return cacheable;
    }
    if (step.rule.kind == FrameRuleKind::kRbpBased) next.rbp_based[next.count - 1] = true;
    if (step.rule.kind == FrameRuleKind::kUnusable) cacheable = false;
    Learn(ip, step.rule);
    ip = step.caller_ip;
    sp = step.cfa;
    rbp = step.caller_rbp;
    rbp_slot = step.rbp_slot;
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
  next.sps_known = false;
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
  if (epoch != epoch_) {
    // A module was unloaded: ids of the old epoch are stale, and so are the
    // rules of its addresses, where another module may be mapped now (a
    // stale frame size would read the stack at a wrong CFA).
    Reset();
    interned_.Clear();
    rules_.Clear();
    epoch_ = epoch;
  }
  for (int i = 0; i < kRemembered; ++i) {
    const CallerFrame& first = first_frames_[i];
    if (first.ip == caller.ip && first.sp == caller.sp &&
        (!frames_[i].rbp_matters[0] || first.rbp == caller.rbp) && SlotsHold(frames_[i])) {
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

  // Which rbps the CFAs depend on: a frame's own when its CFA is rbp-based,
  // and the next one's when that is the same register, kept.
  if (cacheable) {
    for (int i = next.count - 1; i >= 0; --i) {
      next.rbp_matters[i] = next.rbp_based[i] || (i + 1 < next.count &&
                                                  next.rbp_slot[i + 1] == 0 &&
                                                  next.rbp_matters[i + 1]);
    }
    next.check_count = 0;
    for (int i = 1; i < next.count; ++i) {
      if (next.rbp_slot[i] != 0 && next.rbp_matters[i]) {
        next.checks[next.check_count++] = {next.rbp_slot[i], next.rbp[i]};
      }
      next.checks[next.check_count++] = {next.sp[i] - 8, next.ip[i]};
    }
  }

  // The outer frames shared with the previous stack keep their nodes.
  int shared = 0;
  int limit = next.count < previous.count ? next.count : previous.count;
  while (shared < limit &&
         next.ip[next.count - 1 - shared] == previous.ip[previous.count - 1 - shared]) {
    next.node[next.count - 1 - shared] = previous.node[previous.count - 1 - shared];
    next.suffix_hash[next.count - 1 - shared] =
        previous.suffix_hash[previous.count - 1 - shared];
    ++shared;
  }
  // The memo's slots of the new frames are known before their parents are:
  // fetched all at once, not one miss after another.
  for (int i = next.count - 1 - shared; i >= 0; --i) {
    uint64_t outer = i + 1 < next.count ? next.suffix_hash[i + 1] : 0;
    next.suffix_hash[i] = InternCache::SuffixHash(outer, next.ip[i]);
    interned_.Prefetch(next.suffix_hash[i]);
  }
  uint32_t parent = shared == 0 ? 0 : next.node[next.count - shared];
  for (int i = next.count - 1 - shared; i >= 0; --i) {
    parent = interned_.Intern(depot, parent, next.ip[i], epoch, next.suffix_hash[i]);
    next.node[i] = parent;
  }
  if (cacheable && next.count > 0) first_frames_[victim_] = caller;
  latest_ = victim_;
  victim_ = (victim_ + 1) % kRemembered;
  return parent;
}

}  // namespace heaptrail::preload
