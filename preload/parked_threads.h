// The other threads of the process, parked while a leak scan runs at exit,
// or while a live snapshot's copy is made, so that their registers are
// roots as memcheck has them, and their stacks start at their stack
// pointers.
//
// Each is sent a signal whose handler saves its general registers and
// waits until released. The signal is one the program leaves alone
// (SIGRTMAX - 1 with its default action; else nothing is parked). A thread
// that blocks the signal, or does not answer within 50 ms, is not parked:
// its whole stack is a root, without its registers.
//
// Thread-safety: one Park()/Release() pair at a time, by the writer lock's
// holder.

#ifndef HEAPTRAIL_PRELOAD_PARKED_THREADS_H_
#define HEAPTRAIL_PRELOAD_PARKED_THREADS_H_

#include <sys/ucontext.h>

#include <cstddef>
#include <cstdint>

namespace heaptrail::preload {

struct ParkedThread {
  uint64_t stack_pointer;
  greg_t registers[NGREG];
};

// Parks every other thread it can; returns them (valid until Release()).
// Async-signal-safe (a snapshot's round may run in a signal handler).
const ParkedThread* ParkOtherThreads(size_t* count);

// Lets them run on, and gives the signal its default action back once every
// thread signalled has handled it (one that blocks it would otherwise die of
// it later: then the handler stays, and returns at once).
void ReleaseParkedThreads();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PARKED_THREADS_H_
