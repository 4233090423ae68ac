// The kLeakKinds records: the reachability of the live blocks at exit, and
// at a snapshot that `heaptrail snapshot --leaks` asked for, while the
// program runs on.
//
// A live snapshot's scan runs in a child made by a bare clone() (no fork
// handlers of the program's run, and no exit signal: the program never
// sees it in a SIGCHLD or a wait()). The child has a copy-on-write image of
// the process as it was right after the writer's drain, with the other
// threads parked (parked_threads.h): the program is stopped only while they
// park and the kernel copies its page tables (measured, and written in the
// record as pause_ns). The child sends the record's body
// through a pipe and exits; the writer collects it in a later round, or
// waits for it at exit. The parked threads do not exist in the child, but
// their stacks and saved registers do, and are roots; blocks allocated or
// freed between the drain and the clone are missed or scanned stale.
//
// Thread-safety: for the writer lock's holder.

#ifndef HEAPTRAIL_PRELOAD_LEAK_KINDS_H_
#define HEAPTRAIL_PRELOAD_LEAK_KINDS_H_

#include <cstdint>

#include "chunk_builder.h"
#include "leak_scan.h"
#include "live_blocks.h"

namespace heaptrail::preload {

// At exit: classifies `live` and appends the record; first collects a live
// snapshot's child still running.
void AppendExitLeakKinds(const LiveBlocks& live, uint64_t relative_tick, const ThreadRoots& thread,
                         ChunkBuilder& chunk, const char* trace_path);

// Starts a live snapshot's scan; false when one is still running or the
// child could not be made.
bool StartLeakSnapshot(const LiveBlocks& live, uint64_t relative_tick, uint32_t nonce,
                       const ThreadRoots& thread);

// Appends the record of a live snapshot's scan once its child is done (at
// once with `wait`), and acknowledges it to `heaptrail snapshot`.
void CollectLeakSnapshot(ChunkBuilder& chunk, const char* trace_path, bool wait);

// In a forked child: the parent's scan is not ours.
void ForgetLeakSnapshotAfterFork();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_LEAK_KINDS_H_
