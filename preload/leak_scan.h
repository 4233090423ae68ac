// The reachability scan of the blocks live in the process, at exit: which
// memory counts as a root, and the kLeakKinds record of the result.
//
// Roots, as memcheck's: every readable and writable mapping (the modules'
// data and bss, thread stacks and their static TLS, anonymous mappings of
// the program), scanned word by word, less what is not the program's own:
//   - the heap itself: glibc's brk heap and its other arenas' heaps (a free
//     chunk still holds the pointers it had), and the live blocks (found
//     only through pointers);
//   - glibc's main arena, whose bins point at chunk headers (inside the
//     block before);
//   - the tracker's own pages and data, which hold the blocks' addresses;
//   - the stacks of threads that exited, which glibc keeps for reuse with
//     whatever they held (memcheck stops scanning a thread's stack when it
//     ends);
//   - the calling thread's stack below ThreadRoots::stack_top: the tracker's
//     own frames, or a signal's (memcheck, which knows what is initialized,
//     would not read their stale slots either, nor a signal frame's vector
//     registers).
// Other threads are parked (parked_threads.h): their registers are roots,
// and their stacks from their stack pointers up. One that cannot be parked
// keeps its whole stack as a root, without its registers.
//
// Thread-safety: for the writer lock's holder.

#ifndef HEAPTRAIL_PRELOAD_LEAK_SCAN_H_
#define HEAPTRAIL_PRELOAD_LEAK_SCAN_H_

#include <cstdint>

#include "chunk_builder.h"
#include "live_blocks.h"
#include "parked_threads.h"

namespace heaptrail::preload {

// The calling thread's part of the roots: its stack from `stack_top` up,
// and its general registers when a signal saved them in memory.
// And the other threads parked meanwhile (parked_threads.h): their
// registers, and their stacks from their stack pointers up.
struct ThreadRoots {
  uint64_t stack_top = 0;
  uint64_t registers_begin = 0;
  uint64_t registers_end = 0;
  const ParkedThread* parked = nullptr;
  size_t parked_count = 0;
};

// Classifies every block of `live` and appends the body of a kLeakKinds
// record (the count, then the entries) to `chunk`. `in_copy`: in a
// copy-on-write child (its own mappings, and no thread that could free a
// block under the scan). False (nothing appended) when the process's
// mappings cannot be read or memory runs out.
bool AppendLeakKindEntries(const LiveBlocks& live, const ThreadRoots& thread, bool in_copy,
                           ChunkBuilder& chunk);

// The head of a kLeakKinds record, before its body.
void PutLeakKindsHead(ChunkBuilder& chunk, uint64_t relative_tick, uint64_t pause_ns);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_LEAK_SCAN_H_
