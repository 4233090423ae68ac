// The other threads of the process, parked while the exit scan runs, so
// that their registers are roots as memcheck has them, and their stacks
// start at their stack pointers.
//
// Each is sent a signal whose handler saves its general registers and
// waits until released. The signal is one the program leaves alone
// (SIGRTMAX - 1 with its default action; else nothing is parked). A thread
// that blocks the signal, or does not answer within 50 ms, is not parked:
// its whole stack is a root, without its registers.
//
// Thread-safety: one Park()/Release() pair at a time, from the exiting
// thread.

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
const ParkedThread* ParkOtherThreads(size_t* count);

// Lets them run on. The handler stays: a signal still on its way would
// otherwise end the process (the default action), and the process is
// exiting anyway.
void ReleaseParkedThreads();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PARKED_THREADS_H_
