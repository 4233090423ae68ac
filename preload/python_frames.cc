// The walk of a thread's Python frames and their splicing into its native
// stack (see python_frames.h).

#include "python_frames.h"

#include <pthread.h>

#include "heaptrail/trace_format.h"
#include "memory_loads.h"
#include "python_code_registry.h"
#include "python_layout.h"

namespace heaptrail::preload {
namespace {

// Frames beyond kMaxStackDepth are not kept, but the walk goes on to the
// end of the activation they belong to (its anchor comes last in 3.12+).
// This bounds a chain that loops (a corrupted interpreter).
constexpr int kMaxWalkSteps = 1 << 16;

constinit PythonInterpreter python = {};
constinit bool enabled = false;

bool Aligned(uintptr_t pointer) { return pointer != 0 && pointer % 8 == 0; }

// The thread's PyThreadState: the one CPython keeps under its thread-specific
// key, right while the thread runs without the GIL too (the "current" one is
// null then); 0 when there is none, or when it belongs to a subinterpreter
// (whose code-object counter, co_version, starts over).
uintptr_t ThreadState() {
  const PythonLayout& layout = *python.layout;
  uintptr_t key_at = python.runtime + layout.runtime_tss_key;
  if (Load32(key_at) == 0) return 0;  // before Py_Initialize, after finalization
  auto key = static_cast<pthread_key_t>(Load32(key_at + 4));
  auto tstate = reinterpret_cast<uintptr_t>(pthread_getspecific(key));
  if (!Aligned(tstate)) return 0;
  // A key deleted at finalization and reused by another library.
  if (Load64(tstate + layout.tstate_thread_id) != pthread_self()) return 0;
  if (Load64(tstate + layout.tstate_interp) !=
      Load64(python.runtime + layout.runtime_main_interpreter)) {
    return 0;
  }
  return tstate;
}

class Walker {
 public:
  explicit Walker(PythonFrames& out) : out_(out), layout_(*python.layout) {
    out.count = 0;
    out.activation_count = 0;
  }

  // Appends `frame` unless it has not started running its own code yet
  // (CPython leaves such "incomplete" frames out of tracebacks too), or the
  // stack is full. False when it does not read as a frame.
  bool Add(uintptr_t frame) {
    if (out_.count == kMaxStackDepth) return true;
    uintptr_t code = Load64(frame + layout_.frame_code);
    if (!Aligned(code) || Load64(code + 8) != python.code_type) return false;
    auto offset = static_cast<intptr_t>(Load64(frame + layout_.frame_instruction) -
                                        (code + layout_.code_instructions));
    auto units = static_cast<intptr_t>(Load64(code + layout_.code_size));
    if (offset < -2 || offset >= 2 * units || offset % 2 != 0) return false;
    if (Load8(frame + layout_.frame_owner) != kFrameOwnedByGenerator &&
        offset / 2 < static_cast<int32_t>(Load32(code + layout_.code_first_traceable))) {
      return true;
    }
    uint64_t fingerprint = PythonCodeFingerprint(code);
    PythonFrames::RecentCode& recent =
        out_.recent[(code >> 4) % PythonFrames::kRecentCodes];
    if (recent.code != code || recent.fingerprint != fingerprint) {
      uint32_t code_id = InternPythonCode(code, fingerprint);
      if (code_id == 0) return false;
      recent = {code, fingerprint, code_id};
    }
    out_.ip[out_.count++] =
        format::MakePythonFrameIp(recent.code_id, static_cast<uint32_t>(offset + 2));
    return true;
  }

  // Ends the activation whose frames were added since the last one.
  void EndActivation(uintptr_t anchor) {
    if (out_.activation_count == kMaxStackDepth) return;
    PythonFrames::Activation ended = {anchor, Ended(), out_.count};
    out_.activations[out_.activation_count++] = ended;
  }

  // The frames added so far that belong to an ended activation.
  int Ended() const {
    return out_.activation_count == 0 ? 0 : out_.activations[out_.activation_count - 1].end;
  }

  bool Full() const { return out_.count == kMaxStackDepth; }

  // 3.11: each activation's _PyCFrame, on its native frame, points at the
  // activation's innermost frame; its outermost one is marked is_entry.
  bool WalkCFrames(uintptr_t tstate) {
    uintptr_t root = tstate + layout_.tstate_root_cframe;
    uintptr_t cframe = Load64(tstate + layout_.tstate_cframe);
    int steps = 0;
    while (Aligned(cframe) && cframe != root && !Full()) {
      uintptr_t frame = Load64(cframe + layout_.cframe_current_frame);
      while (frame != 0) {
        if (!Aligned(frame) || ++steps == kMaxWalkSteps || !Add(frame)) return false;
        if (Load8(frame + layout_.frame_is_entry) != 0) break;
        frame = Load64(frame + layout_.frame_previous);
      }
      EndActivation(cframe);
      cframe = Load64(cframe + layout_.cframe_previous);
    }
    return true;
  }

  // 3.12, 3.13: one chain, in which each activation's entry shim, a frame
  // owned by the C stack, follows the activation's frames.
  bool WalkChain(uintptr_t frame) {
    for (int steps = 0; frame != 0; ++steps) {
      if (!Aligned(frame) || steps == kMaxWalkSteps) return false;
      if (Load8(frame + layout_.frame_owner) == kFrameOwnedByCStack) {
        EndActivation(frame);
        if (Full()) return true;
      } else if (!Add(frame)) {
        return false;
      }
      frame = Load64(frame + layout_.frame_previous);
    }
    return Ended() == out_.count;  // every frame has its activation
  }

 private:
  PythonFrames& out_;
  const PythonLayout& layout_;
};

}  // namespace

void InitPythonFrames() {
  PythonInterpreter found;
  if (!DetectPythonInterpreter(found) || !InitPythonCodeRegistry(found)) return;
  python = found;
  enabled = true;
}

bool PythonFramesEnabled() { return enabled; }

// A signal handler that allocates in the few instructions where CPython has
// linked an eval loop's new _PyCFrame but not yet its frame would read a
// stale word; allocating in a signal handler is undefined in itself.
bool CapturePythonFrames(PythonFrames& out) {
  uintptr_t tstate = ThreadState();
  if (tstate == 0) return false;
  const PythonLayout& layout = *python.layout;
  Walker walker(out);
  bool read = false;
  switch (layout.walk) {
    case PythonFrameWalk::kCFrames:
      read = walker.WalkCFrames(tstate);
      break;
    case PythonFrameWalk::kCFrameChain: {
      uintptr_t cframe = Load64(tstate + layout.tstate_cframe);
      read = Aligned(cframe) && walker.WalkChain(Load64(cframe + layout.cframe_current_frame));
      break;
    }
    case PythonFrameWalk::kChain:
      read = walker.WalkChain(Load64(tstate + layout.tstate_current_frame));
      break;
  }
  return read && out.count > 0;
}

uint32_t MixPythonFrames(StackDepot& depot, int depth, uint32_t epoch, uint32_t native_id,
                         const StackCache::Capture& native, const PythonFrames& python_frames,
                         MixedStack& cache) {
  // Without stack pointers no activation can be placed: the native stack
  // alone, rather than Python frames out of their order.
  if (!native.sps_known) return native_id;
  const MixedStack::Frames& previous = cache.frames[cache.latest];
  MixedStack::Frames& next = cache.frames[1 - cache.latest];
  uint64_t* mixed = next.ip;
  int count = 0;
  auto add = [&](uint64_t ip) {
    if (count < depth) mixed[count++] = ip;
  };
  auto add_group = [&](const PythonFrames::Activation& group) {
    for (int k = group.begin; k < group.end; ++k) add(python_frames.ip[k]);
  };
  int group = 0;
  const int groups = python_frames.activation_count;
  for (int i = 0; i < native.count; ++i) {
    bool replaced = false;
    if (i + 1 < native.count) {
      // Native frame i spans [sp[i], sp[i + 1]). An activation with no
      // frame (one returning) leaves its native frame in place.
      while (group < groups && python_frames.activations[group].anchor < native.sp[i]) ++group;
      while (group < groups && python_frames.activations[group].anchor < native.sp[i + 1]) {
        const PythonFrames::Activation& activation = python_frames.activations[group++];
        add_group(activation);
        replaced |= activation.end > activation.begin;
      }
    }
    if (!replaced) add(native.ip[i]);
  }

  // The outer frames shared with the thread's previous mixed stack keep
  // their nodes.
  int shared = 0;
  if (previous.epoch == epoch) {
    while (shared < count && shared < previous.count &&
           mixed[count - 1 - shared] == previous.ip[previous.count - 1 - shared]) {
      next.node[count - 1 - shared] = previous.node[previous.count - 1 - shared];
      ++shared;
    }
  }
  uint32_t parent = shared == 0 ? 0 : next.node[count - shared];
  for (int i = count - 1 - shared; i >= 0; --i) {
    parent = depot.Intern(parent, mixed[i], epoch);
    next.node[i] = parent;
  }
  next.count = count;
  next.epoch = epoch;
  cache.latest = 1 - cache.latest;
  return parent;
}

}  // namespace heaptrail::preload
