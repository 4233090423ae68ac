// Capture of the caller's stack with libunwind (DWARF CFI: frame pointers are
// not needed) and its conversion into a StackDepot id, incrementally.
//
// Each thread remembers its last few captures as lists of frames (ip, sp,
// rbp). On x86-64 the return address that is frame i's ip sits just below
// frame i's sp (the call pushed it there), and a frame's CFA, which is the
// sp of its caller, follows from its ip and its sp or rbp (see
// frame_rules.h); the caller's rbp is the frame's own or one it saved. So
// when the program's innermost frame is the same as before and every
// remembered return-address slot (and rbp save slot, where an rbp matters)
// still holds the same value, the stack is the same, frame by frame, and its
// id is reused without unwinding: a load and a compare per frame. Validation
// runs from the inner end outwards, so every slot read lies in a frame live
// on the stack now.
//
// When the stack changed, only the new inner frames are walked, with the
// per-thread FrameRules learned from libunwind (or from another thread,
// through SharedFrameRules): as soon as a frame is one of
// the latest stack's and its outer slots still hold, the remembered outer
// frames (and their depot nodes) are spliced on. A frame without a learned
// rule is stepped out of once by libunwind, from its ip, sp and rbp, and the
// rule is learned from that step; the few frames one step cannot learn (the
// stack's end, one whose caller's registers do not check out) send the
// capture to a whole libunwind unwind from the real registers. A stack with
// a frame no rule describes (a signal frame) is taken with unw_backtrace and
// not remembered.
//
// Limit (stated, not hidden): a frame whose CFA is neither at a fixed
// distance from sp nor at rbp + 16 (stack realignment through another
// register) would be learned with the offset of one instance and could be
// walked wrongly in another.
//
// Thread-safety: a StackCache belongs to one thread.

#ifndef HEAPTRAIL_PRELOAD_STACK_CAPTURE_H_
#define HEAPTRAIL_PRELOAD_STACK_CAPTURE_H_

#include <cstdint>

#include "frame_rules.h"
#include "intern_cache.h"
#include "stack_depot.h"

namespace heaptrail::preload {

inline constexpr int kMaxStackDepth = 256;

// The program's innermost frame: where the hook returns to, the program's
// stack pointer once it has returned (the hook's CFA), and its rbp.
struct CallerFrame {
  uintptr_t ip;
  uintptr_t sp;
  uintptr_t rbp;
};

// The caller of the function this expands in; it must expand in the exported
// hook itself, not in a helper. __builtin_frame_address(0) gives the function
// a frame pointer: on x86-64 it points at the caller's saved rbp, with the
// return address just above it and the CFA above that.
#define HEAPTRAIL_CALLER_FRAME()                                               \
  (::heaptrail::preload::CallerFrame{                                         \
      reinterpret_cast<uintptr_t>(__builtin_return_address(0)),               \
      reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) + 16,           \
      *static_cast<const uintptr_t*>(__builtin_frame_address(0))})

// Sets up libunwind's per-thread caches. Called once at start-up.
void InitStackCapture();

class StackCache {
 public:
  // Captures the stack of `caller` and what called it (at most `depth`
  // frames) and returns the id of its innermost node in `depot`. The frames
  // of the tracker between here and `caller` are not part of it.
  uint32_t CaptureAndIntern(StackDepot& depot, int depth, uint32_t epoch, CallerFrame caller);

  // The frames of the latest capture, innermost first.
  struct Capture {
    const uintptr_t* ip;
    const uintptr_t* sp;  // valid when sps_known
    int count;
    bool sps_known;
  };
  Capture latest() const {
    const Frames& f = frames_[latest_];
    return {f.ip, f.sp, f.count, f.sps_known};
  }

  // The rule learned for the frame at `ip`, kUnknown if none: for tests.
  FrameRule LearnedRule(uintptr_t ip) const { return rules_.Find(ip); }
  // How many times this cache stepped libunwind: for tests.
  uint64_t libunwind_steps() const { return libunwind_steps_; }

  // Forgets every remembered stack (a new thread owns the cache).
  void Reset() {
    for (int i = 0; i < kRemembered; ++i) {
      frames_[i].count = 0;
      first_frames_[i] = {};
    }
  }

 private:
  // Innermost frame first. node[i] is the depot node of the stack made of
  // frames i..count-1.
  struct Frames {
    uintptr_t ip[kMaxStackDepth];
    uintptr_t sp[kMaxStackDepth];
    uintptr_t rbp[kMaxStackDepth];
    uintptr_t rbp_slot[kMaxStackDepth];  // where rbp[i] was saved; 0: rbp[i - 1] kept
    bool rbp_based[kMaxStackDepth];      // the frame's CFA is rbp + 16
    bool rbp_matters[kMaxStackDepth];    // some frame's CFA depends on rbp[i]
    uint32_t node[kMaxStackDepth];
    uint64_t suffix_hash[kMaxStackDepth];  // of ip[i..count-1]: node[i]'s memo slot
    // The slots the fast path compares (return addresses, and the rbp saves
    // that matter), innermost first, so that it is one tight loop.
    struct Check {
      uintptr_t address;
      uintptr_t value;
    } checks[2 * kMaxStackDepth];
    int check_count = 0;
    int count = 0;
    bool truncated = false;  // cut at the depth limit: more frames may lie beyond
    bool sps_known = false;  // false from unw_backtrace
  };

  enum class WalkResult {
    kComplete,
    kUnknownFrame,   // a frame without a learned rule: unwind and learn
    kUnusableFrame,  // a frame only libunwind can step out of
  };

  // Slot by slot from `from` outwards: the first frame whose return-address
  // slot (or rbp save slot, where it matters) changed; frames.count when all
  // hold.
  static int FirstStaleFrame(const Frames& frames, int from);

  // The fast path's FirstStaleFrame(frames, 1) == frames.count.
  static bool SlotsHold(const Frames& frames);

  // Appends a frame to `next`.
  static void Append(Frames& next, uintptr_t ip, uintptr_t sp, uintptr_t rbp, uintptr_t rbp_slot);

  // The state of one capture's search for the latest stack's frames.
  struct Splicer {
    bool active;
    int next_frame;  // the first latest frame whose sp is not below the current one
    int stale;       // latest frames below this one have changed slots above them
  };

  // When the frame (ip, sp, rbp, with rbp read from rbp_slot), about to be
  // appended to `next`, is a frame of the latest stack whose outer slots all
  // hold, appends that frame and the ones outside it (up to `depth` in all)
  // and returns true.
  bool Splice(Splicer& splicer, uintptr_t ip, uintptr_t sp, uintptr_t rbp, uintptr_t rbp_slot,
              int depth, Frames& next);

  // Fills `next` from `caller` outwards (at most `depth` frames) with the
  // learned rules, splicing on the outer frames of the latest capture when
  // it reaches them unchanged.
  WalkResult Walk(CallerFrame caller, int depth, Frames& next);

  // Keeps a rule learned from libunwind, and offers it to the other threads.
  void Learn(uintptr_t ip, FrameRule rule);

  // Learns the rule of the frame (ip, sp, rbp) from one libunwind step out
  // of it, on registers made up from those three; kUnknown when it takes a
  // whole unwind from the real registers.
  FrameRule LearnOne(uintptr_t ip, uintptr_t sp, uintptr_t rbp);

  // Fills `next` with libunwind's steps and learns the rule of every frame.
  // False when `next` must not be reused.
  bool UnwindAndLearn(CallerFrame caller, int depth, Frames& next);

  // Fills the ips of `next` with libunwind's backtrace (its sps are not
  // known: not to be reused).
  static void Backtrace(CallerFrame caller, int depth, Frames& next);

  FrameRules rules_;
  InternCache interned_;
  // A few recent stacks are remembered, so that a program alternating
  // between call sites finds each of its stacks unchanged.
  static constexpr int kRemembered = 8;
  Frames frames_[kRemembered];
  // The innermost frame of each remembered stack, side by side for a quick
  // scan (its rbp is compared only where it matters); ip 0 when that stack
  // must not be reused.
  CallerFrame first_frames_[kRemembered] = {};
  int latest_ = 0;  // the stack captured last
  int victim_ = 0;  // the next one to replace, round robin
  uint32_t epoch_ = 0;
  uint64_t libunwind_steps_ = 0;
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_STACK_CAPTURE_H_
