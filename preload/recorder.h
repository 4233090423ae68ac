// The recording layer under the interposed functions: the per-thread
// re-entry guard, lazy initialization, and the encoding of each event into
// the calling thread's buffer.
//
// An interposed function calls EnterHook(); when it returns true the call is
// recorded and must end with LeaveHook(). When it returns false (nested call
// from inside the tracker or the real allocator, tracking off, or the process
// is not traced) the call passes straight through.
//
// Thread-safety: all functions are for the calling thread; no global lock.

#ifndef HEAPTRAIL_PRELOAD_RECORDER_H_
#define HEAPTRAIL_PRELOAD_RECORDER_H_

#include <cstddef>
#include <cstdint>

#include "heaptrail/trace_format.h"
#include "stack_capture.h"
#include "tracker.h"

namespace heaptrail::preload {

struct ThreadLocal {
  bool busy;            // inside the tracker: nested allocations pass through
  ThreadState* state;   // claimed on the first recorded event
};

// Initial-exec: no allocation and no lock on access, from the first malloc on.
extern thread_local constinit ThreadLocal tls __attribute__((tls_model("initial-exec")));

// Sets up the recorder on the first call; false when it stays off.
bool Initialize();

inline bool EnterHook() {
  if (tls.busy) return false;
  if (tracker.mode.load(std::memory_order_relaxed) != Mode::kActive) [[unlikely]] {
    if (!Initialize()) return false;
  }
  tls.busy = true;
  return true;
}

inline void LeaveHook() { tls.busy = false; }

// Records a block returned by the real allocator (after the call), with the
// stack from `caller` (HEAPTRAIL_CALLER_FRAME() in the exported hook) outwards.
void RecordAllocation(format::AllocKind kind, const void* ptr, size_t size, CallerFrame caller);

// Records a release; published before the memory is really released. The
// stack from `caller` is captured only with HEAPTRAIL_FREE_STACKS.
void RecordRelease(format::FreeKind kind, const void* ptr, CallerFrame caller);

// The realloc of `ptr` failed after its release was recorded: it is live again.
void RecordReallocFailed(const void* ptr);

// A snapshot from the C API.
void RecordApiSnapshot(const char* label);

// Writes everything buffered; `final` also marks the trace complete. For
// _exit and exec, which skip the library's destructor.
void FlushTrace(bool final);

// A process made by clone() without CLONE_VM is a fork that pthread_atfork
// handlers never see: the clone hook calls these around it instead. When
// BeforeProcessClone() returns false (nothing recorded), neither of the
// others is called.
bool BeforeProcessClone();
void AfterProcessCloneInParent();
void AfterProcessCloneInChild();
// The child's start function returned: glibc ends it with the exit system
// call, which ends only the calling thread, so the writer thread stops first
// (it would keep the process alive) and the trace is completed.
void BeforeProcessCloneChildReturns();

// From the snapshot signal's handler: without a writer thread, nobody else
// would write the snapshot while the program waits, so this thread runs a
// round, unless it was interrupted inside the tracker (the round's locks may
// be its own). A round takes no lock of the program's and never allocates.
void FlushFromSignalHandler();

// Turns recording off for good (the trace file failed).
void DisableTracking();

// For the writer thread: never record anything on this thread.
void EnterTrackerForever();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_RECORDER_H_
