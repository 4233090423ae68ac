// Python frames in the captured stacks: the calling thread's Python frames,
// read from the interpreter's own structures, replace the native frames of
// the eval-loop activations that ran them.
//
// Since 3.11, one native activation of the eval loop runs a run of Python
// frames (Python-to-Python calls do not recurse in C); a new activation
// starts whenever C code calls Python. Each activation leaves an anchor on
// its own native frame: its _PyCFrame (3.11) or its entry shim frame (3.12,
// 3.13). So the native frame whose stack range [sp, caller's sp) holds
// anchor j is the activation that ran group j of Python frames, whatever
// its symbol (stripped binaries, .cold parts): the groups are spliced in
// there, innermost first. A group with no native frame to hold it (beyond
// the depth limit) is left out, and a native stack without stack pointers
// (from unw_backtrace) stands alone: Python frames out of their place
// would tell a wrong story.
//
// A Python frame is one stack-depot node with a tagged ip (see
// format::MakePythonFrameIp): its code object's number and its instruction's
// offset. Two Python lines that call the same C function share the native
// stack, so the depot path holds both; the cache below shares the unchanged
// outer part of a thread's consecutive stacks.
//
// Nothing here allocates, takes a lock (but the code registry's, on a new
// code object) or calls into Python: loads from the calling thread's own
// frame chain, which it alone changes, checked on the way (types, offsets,
// depth). A chain that fails a check gives the native stack alone.
//
// Thread-safety: CapturePythonFrames() and MixPythonFrames() read and write
// the calling thread's own state only.

#ifndef HEAPTRAIL_PRELOAD_PYTHON_FRAMES_H_
#define HEAPTRAIL_PRELOAD_PYTHON_FRAMES_H_

#include <cstdint>

#include "stack_capture.h"
#include "stack_depot.h"

namespace heaptrail::preload {

// A thread's Python frames, innermost first, by eval-loop activation.
struct PythonFrames {
  struct Activation {
    uintptr_t anchor;  // an address inside its native frame
    int begin;         // its frames: ip[begin, end)
    int end;
  };
  uint64_t ip[kMaxStackDepth];
  int count = 0;
  Activation activations[kMaxStackDepth];
  int activation_count = 0;
  // The thread's recent code objects and their numbers, by address: the
  // registry's table is large, and this spares a cache miss per frame.
  struct RecentCode {
    uintptr_t code;
    uint64_t fingerprint;
    uint32_t code_id;
  };
  static constexpr int kRecentCodes = 64;
  RecentCode recent[kRecentCodes] = {};
};

// The latest mixed stack of a thread, innermost first, with its nodes, and
// room for the next one (the two swap).
struct MixedStack {
  struct Frames {
    uint64_t ip[kMaxStackDepth];
    uint32_t node[kMaxStackDepth];
    int count = 0;
    uint32_t epoch = 0;
  };
  Frames frames[2];
  int latest = 0;
};

// Looks for a known CPython in the process (see python_layout.h). Called
// once, from the library's constructor, once libpython is mapped.
void InitPythonFrames();

// True when the process runs an interpreter whose frames can be read.
bool PythonFramesEnabled();

// Fills `out` with the calling thread's Python frames; false when it runs
// none, or they do not read as they should.
bool CapturePythonFrames(PythonFrames& out);

// The depot id of `native` (the latest capture, interned as `native_id`)
// with `python` spliced in, at most `depth` frames. `cache` is the thread's
// latest mixed stack.
uint32_t MixPythonFrames(StackDepot& depot, int depth, uint32_t epoch, uint32_t native_id,
                         const StackCache::Capture& native, const PythonFrames& python,
                         MixedStack& cache);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PYTHON_FRAMES_H_
