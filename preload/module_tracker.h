// The module map of the traced process: every loaded ELF object with its
// path, load bias, build-id and PT_LOAD segments, recorded at start-up and
// after every dlopen/dlclose so that offline symbolization is exact.
//
// A module that disappears bumps the epoch (see trace_format.h): stacks
// captured afterwards are interned anew, so an address reused by another
// library never resolves to the old one.
//
// dlopen/dlclose are deliberately not interposed: the loader resolves a
// dlopen'ed name relative to its caller (RUNPATH, $ORIGIN), which a wrapper
// would change.
//
// Thread-safety: all functions may be called from any thread; rescans take
// the loader's lock through dl_iterate_phdr, so they never run in the writer
// (a thread inside dlopen may be waiting for the writer).

#ifndef HEAPTRAIL_PRELOAD_MODULE_TRACKER_H_
#define HEAPTRAIL_PRELOAD_MODULE_TRACKER_H_

#include <cstddef>
#include <cstdint>

namespace heaptrail::preload {

class ChunkBuilder;

// Compares the loaded objects with the known ones and queues a ModuleLoad or
// ModuleUnload record for each difference.
void RescanModules();

// Rescans when a library was loaded or unloaded since the last scan (a cheap
// check of the loader's counters). The recorder calls it when a stack adds
// new nodes: code it has not seen before may come from a new library. The
// loader's lock is recursive, so this is safe from inside dlopen too.
// Returns true when the map changed.
bool RescanModulesIfChanged();

// The current epoch; stack nodes are keyed by it.
uint32_t ModuleEpoch();

// Appends the queued records to `out`. Called by the writer.
void EmitModuleRecords(ChunkBuilder& out);

// In a forked child that is followed: forgets every known module, so that the
// next RescanModules() announces them all in the child's trace. Called with
// the module lock held (from fork).
void ForgetModulesAfterFork();

// Locks held across fork().
void LockModules();
void UnlockModules();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_MODULE_TRACKER_H_
