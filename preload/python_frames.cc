// The walk of a thread's Python frames and their splicing into its native
// stack (see python_frames.h).

#include "python_frames.h"

#include <pthread.h>

#include "heaptrail/trace_format.h"
#include "python_code_registry.h"
#include "python_layout.h"

namespace heaptrail::preload {
namespace {

constinit PythonInterpreter python = {};
constinit bool enabled = false;

uintptr_t Load(uintptr_t address) { return *reinterpret_cast<const uintptr_t*>(address); }
uint8_t Load8(uintptr_t address) { return *reinterpret_cast<const uint8_t*>(address); }
int32_t Load32(uintptr_t address) { return *reinterpret_cast<const int32_t*>(address); }

bool Aligned(uintptr_t pointer) { return pointer != 0 && pointer % 8 == 0; }

// The thread's PyThreadState: the one CPython keeps under its thread-specific
// key, right while the thread runs without the GIL too (the "current" one is
// null then); 0 when there is none.
uintptr_t ThreadState() {
  uintptr_t key_at = python.runtime + python.layout->runtime_tss_key;
  if (Load32(key_at) == 0) return 0;  // before Py_Initialize, after finalization
  auto key = static_cast<pthread_key_t>(Load32(key_at + 4));
  auto tstate = reinterpret_cast<uintptr_t>(pthread_getspecific(key));
  if (!Aligned(tstate)) return 0;
  // A key deleted at finalization and reused by another library.
  if (Load(tstate + python.layout->tstate_thread_id) != pthread_self()) return 0;
  return tstate;
}

class Walker {
 public:
  explicit Walker(PythonFrames& out) : out_(out), layout_(*python.layout) {
    out.count = 0;
    out.activation_count = 0;
  }

  // Appends `frame` unless it has not started running its own code yet
  // (CPython leaves such "incomplete" frames out of tracebacks too). False
  // when it does not read as a frame.
  bool Add(uintptr_t frame) {
    if (out_.count == kMaxStackDepth) return true;  // cut, as native stacks are
    uintptr_t code = Load(frame + layout_.frame_code);
    if (!Aligned(code) || Load(code + 8) != python.code_type) return false;
    auto offset = static_cast<intptr_t>(Load(frame + layout_.frame_instruction) -
                                        (code + layout_.code_instructions));
    auto units = static_cast<intptr_t>(Load(code + layout_.code_size));
    if (offset < -2 || offset >= 2 * units || offset % 2 != 0) return false;
    if (Load8(frame + layout_.frame_owner) != kFrameOwnedByGenerator &&
        offset / 2 < Load32(code + layout_.code_first_traceable)) {
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
    uint32_t code_id = recent.code_id;
    out_.ip[out_.count++] =
        format::MakePythonFrameIp(code_id, static_cast<uint32_t>(offset + 2));
    return true;
  }

  // Ends the activation whose frames were added since the last one.
  void EndActivation(uintptr_t anchor) {
    if (out_.activation_count == kMaxStackDepth) return;
    int begin = out_.activation_count == 0
                    ? 0
                    : out_.activations[out_.activation_count - 1].end;
    out_.activations[out_.activation_count++] = {anchor, begin, out_.count};
  }

  // Frames after the last activation's end belong to none.
  bool Complete() const {
    int ended = out_.activation_count == 0 ? 0 : out_.activations[out_.activation_count - 1].end;
    return ended == out_.count;
  }

  // 3.11: each activation's _PyCFrame, on its native frame, points at the
  // activation's innermost frame; its outermost one is marked is_entry.
  bool WalkCFrames(uintptr_t tstate) {
    uintptr_t root = tstate + layout_.tstate_root_cframe;
    uintptr_t cframe = Load(tstate + layout_.tstate_cframe);
    for (int steps = 0; Aligned(cframe) && cframe != root; ++steps) {
      if (steps == kMaxStackDepth) return false;
      uintptr_t frame = Load(cframe + layout_.cframe_current_frame);
      for (int depth = 0; frame != 0; ++depth) {
        if (!Aligned(frame) || depth == kMaxStackDepth || !Add(frame)) return false;
        if (Load8(frame + layout_.frame_is_entry) != 0) break;
        frame = Load(frame + layout_.frame_previous);
      }
      EndActivation(cframe);
      cframe = Load(cframe + layout_.cframe_previous);
    }
    return true;
  }

  // 3.12, 3.13: one chain, in which each activation's entry shim, a frame
  // owned by the C stack, follows the activation's frames.
  bool WalkChain(uintptr_t frame) {
    for (int steps = 0; frame != 0; ++steps) {
      if (!Aligned(frame) || steps == 2 * kMaxStackDepth) return false;
      if (Load8(frame + layout_.frame_owner) == kFrameOwnedByCStack) {
        EndActivation(frame);
      } else if (!Add(frame)) {
        return false;
      }
      frame = Load(frame + layout_.frame_previous);
    }
    return Complete();
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

bool CapturePythonFrames(PythonFrames& out) {
  uintptr_t tstate = ThreadState();
  if (tstate == 0) return false;
  const PythonLayout& layout = *python.layout;
  Walker walker(out);
  bool read;
  if (layout.tstate_current_frame >= 0) {
    read = walker.WalkChain(Load(tstate + layout.tstate_current_frame));
  } else if (layout.frame_is_entry >= 0) {
    read = walker.WalkCFrames(tstate);
  } else {
    uintptr_t cframe = Load(tstate + layout.tstate_cframe);
    read = Aligned(cframe) && walker.WalkChain(Load(cframe + layout.cframe_current_frame));
  }
  return read && out.count > 0;
}

uint32_t MixPythonFrames(StackDepot& depot, int depth, uint32_t epoch,
                         const StackCache::Capture& native, const PythonFrames& python_frames,
                         MixedStack& cache) {
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
    if (native.sps_known && i + 1 < native.count) {
      // Native frame i spans [sp[i], sp[i + 1]).
      while (group < groups && python_frames.activations[group].anchor < native.sp[i]) ++group;
      while (group < groups && python_frames.activations[group].anchor < native.sp[i + 1]) {
        add_group(python_frames.activations[group++]);
        replaced = true;
      }
    }
    if (!replaced) add(native.ip[i]);
  }
  if (!native.truncated) {
    while (group < groups) add_group(python_frames.activations[group++]);
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
