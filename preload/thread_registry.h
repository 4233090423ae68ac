// Per-thread recording state, and the registry through which the writer finds
// every thread's buffer.
//
// A thread claims a state on its first tracked allocation and retires it when
// it exits; the writer drains a retired state, writes the thread's end and
// frees the state for reuse by a later thread. States are never unmapped, so
// the registry is a grow-only lock-free list.
//
// Thread-safety: Claim() from any thread; the list is walked by the writer.

#ifndef HEAPTRAIL_PRELOAD_THREAD_REGISTRY_H_
#define HEAPTRAIL_PRELOAD_THREAD_REGISTRY_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "event_columns.h"
#include "python_frames.h"
#include "stack_capture.h"
#include "thread_buffer.h"

namespace heaptrail::preload {

enum class ThreadStatus : uint32_t {
  kFree,     // reusable
  kClaiming, // being set up by a new owner; the writer skips it
  kActive,   // owned by a running thread
  kRetired,  // the thread exited; the writer has yet to drain it
};

struct ThreadState {
  // --- owner thread ---------------------------------------------------------
  uint64_t previous_tick = 0;     // delta state of the event encoding
  uint64_t previous_address = 0;
  uint32_t events_since_round = 0;  // without a writer thread (recorder.cc)
  StackCache stack_cache;
  PythonFrames python_frames;  // scratch of each capture
  MixedStack mixed_stack;
  ThreadBuffer buffer;

  // --- set at claim, read by the writer ---------------------------------------
  uint32_t index = 0;             // the thread's id in the trace
  pid_t os_tid = 0;
  uint64_t start_tick = 0;
  char name[16] = {};             // filled at exit
  // A thread other than the main one: an address in its stack, which glibc
  // keeps for reuse once it exits (the leak scan leaves it out then).
  uint64_t stack_address = 0;
  std::atomic<ThreadStatus> status{ThreadStatus::kFree};

  // --- writer only --------------------------------------------------------------
  bool announced = false;         // ThreadStart written
  ColumnState columns;            // what the trace has of the thread's events
  bool rows_only = false;         // `columns` lost: events go as rows
  // ThreadEnd written, its column records still in `columns.pending`: the
  // state is freed with the chunk that takes them.
  bool end_written = false;
  uint64_t live_tick = 0;         // the delta state of LiveBlocks' decoding
  uint64_t live_address = 0;
  ThreadState* next = nullptr;    // registry list; immutable once linked
};

class ThreadRegistry {
 public:
  constexpr ThreadRegistry() = default;

  // A state for the calling thread, reused or new; a new one gets a ring of
  // `buffer_capacity` bytes. Null when out of memory.
  ThreadState* Claim(uint64_t tick, size_t buffer_capacity);

  // Marks the calling thread's state as exited.
  static void Retire(ThreadState* state);

  // In a forked child that is followed: every buffer is emptied (the parent
  // writes those events), the states of the threads that did not survive
  // the fork are freed, and `self` (the forking thread's, may be null)
  // starts anew at `tick`.
  void KeepOnlyAfterFork(ThreadState* self, uint64_t tick);

  ThreadState* first() const { return head_.load(std::memory_order_acquire); }

 private:
  std::atomic<ThreadState*> head_{nullptr};
  std::atomic<uint32_t> next_index_{0};
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_THREAD_REGISTRY_H_
