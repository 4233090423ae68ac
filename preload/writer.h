// The writer: drains every thread's buffer in rounds, adds the stack nodes,
// module changes, snapshots, RSS and clock samples, ends each round with a
// RoundEnd record (see trace_format.h, "Ordering") and writes compressed
// chunks. A background thread runs the rounds once the program has a second
// thread; until then, and after it stopped at exit, the recording threads run
// them themselves. A single-threaded program stays single-threaded under the
// tracker: the kernel refuses unshare(CLONE_NEWUSER) to a process with
// threads, and Chromium's zygote aborts when it has one.
//
// Thread-safety: a round runs under the writer lock. WakeWriter() is
// async-signal-safe.

#ifndef HEAPTRAIL_PRELOAD_WRITER_H_
#define HEAPTRAIL_PRELOAD_WRITER_H_

#include <cstdint>

#include "leak_scan.h"

namespace heaptrail::preload {

// Starts the background thread, unless started already or stopped. Not from
// a signal handler.
void StartWriterThread();

// Stops and joins the background thread, for good (at exit).
void StopWriterThread();

bool WriterThreadRunning();

// Asks the background thread for a round now.
void WakeWriter();

enum class RoundKind {
  kPeriodic,  // write a chunk when enough has accumulated
  kFlush,     // write a chunk now
  kFinal,     // write everything and an End record
};

// Runs one round on the calling thread.
void RunWriterRound(RoundKind kind);

// The final round at exit, with the reachability of the blocks still live
// (HEAPTRAIL_LEAK_KINDS): the calling thread's stack is a root from
// `stack_top` up (its frames below are the tracker's, whose slots hold
// whatever earlier calls left there).
void RunExitRound(uint64_t stack_top);

// Set by the snapshot signal's handler around its round: the interrupted
// thread's stack pointer and saved registers, for the scan of `heaptrail
// snapshot --leaks` (leak_kinds.h).
extern ThreadRoots leak_snapshot_thread;

// The writer lock, held across fork().
void LockWriter();
void UnlockWriter();

// A followed child's trace file is created by the first round that has
// events or snapshots to write, by calling `open` (false: it failed). So a
// child that execs or exits before recording anything leaves no file, and a
// program it exec'd takes the name. Called before the writer starts.
void DeferTraceFile(bool (*open)());

// In a forked child: drops the writer's state (the parent's); a followed
// child then writes a trace of its own from scratch.
void ResetWriterInChild();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_WRITER_H_
