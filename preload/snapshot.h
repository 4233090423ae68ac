// Snapshot requests: from the snapshot signal, the C API and the interval
// timer. A request is a tick and a label; the writer turns it into a Snapshot
// record, which the analyzer replays at that tick in the global order — a
// consistent cut across all threads.
//
// Thread-safety: RequestSnapshot() from any thread, and from a signal handler
// when `label` is null. EmitSnapshotRecords() and CheckSnapshotSignal() by
// the writer only; the *AfterFork and Install functions while no other
// thread records.

#ifndef HEAPTRAIL_PRELOAD_SNAPSHOT_H_
#define HEAPTRAIL_PRELOAD_SNAPSHOT_H_

#include <cstdint>

#include "heaptrail/trace_format.h"

namespace heaptrail::preload {

class ChunkBuilder;

void RequestSnapshot(format::SnapshotSource source, uint64_t tick, const char* label);

// The tick of a snapshot requested now by the program (the signal, the C
// API), read once the request is counted as begun: the writer rounds no
// event's tick while a request it may not have seen could fall among them.
uint64_t BeginSnapshotTick();
// How many BeginSnapshotTick() calls there were so far.
uint64_t SnapshotRequestsBegun();

// Appends a Snapshot record for each pending request (ticks made relative to
// `start_tick`). A request from `heaptrail snapshot --label` takes its label
// from a file next to `trace_path` (see snapshot.cc). A request from
// `heaptrail snapshot --leaks` calls `start_leaks(relative tick, nonce)`:
// true when the leak kinds of that snapshot are on their way (its source is
// then kSignalWithLeaks).
using StartLeaksFn = bool (*)(uint64_t relative_tick, uint32_t nonce);
void EmitSnapshotRecords(ChunkBuilder& out, uint64_t start_tick, const char* trace_path,
                         StartLeaksFn start_leaks);

// `heaptrail snapshot --leaks` waits for "<trace>.leaks.<nonce>" to be
// removed: done once the leak kinds of its snapshot are written, or given up.
void AcknowledgeLeaks(const char* trace_path, uint32_t nonce);

// True when requests wait for the writer.
bool SnapshotsPending();

// In a forked child: drops the requests not yet written (the parent's).
void ForgetSnapshotsAfterFork();

// Installs the handler for `signo` with SA_RESTART, chaining to a handler the
// program installed before us.
void InstallSnapshotSignal(int signo);

// Warns once on stderr when the program has replaced that handler since (its
// snapshots would be lost silently). Called by the writer each round.
void CheckSnapshotSignal();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_SNAPSHOT_H_
