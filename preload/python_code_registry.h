// Python code objects, numbered as stacks first hold their frames, and the
// records that tell the analyzer what each one is (format::kPythonCode).
//
// A code object is known by its address and a fingerprint: its co_version
// (3.12+), a counter that differs on every code object, or else (3.11) the
// addresses of its line table, names and file and its first line and size.
// A code object freed and another made at its address is new then, and gets
// a number of its own. Its record is copied the first time: the frame being
// captured holds a reference to it, so it is alive, and its file, name and
// line table never change.
//
// Thread-safety: Intern() runs on any thread: lookups take no lock, a new
// code object takes a spin lock (the hooks' reentrancy guard keeps a signal
// handler on the same thread out). The writer calls EmitPythonRecords()
// under its lock.

#ifndef HEAPTRAIL_PRELOAD_PYTHON_CODE_REGISTRY_H_
#define HEAPTRAIL_PRELOAD_PYTHON_CODE_REGISTRY_H_

#include <cstdint>

#include "chunk_builder.h"
#include "python_layout.h"

namespace heaptrail::preload {

// Reserves the tables (virtual memory, touched lazily). False when out of
// address space.
bool InitPythonCodeRegistry(const PythonInterpreter& interpreter);

// What tells the code object at `code` (a live PyCodeObject) from another
// made at its address after it was freed.
uint64_t PythonCodeFingerprint(uintptr_t code);

// The number of the code object at `code` with `fingerprint`, registered if
// new; 0 when the registry is full.
uint32_t InternPythonCode(uintptr_t code, uint64_t fingerprint);

// Appends the kPythonInterpreter record, once, and the kPythonCode records
// not written yet, about a chunk's worth; true when more are left.
bool EmitPythonRecords(ChunkBuilder& chunk);

// In a forked child: the lock is free (its holder did not survive; an
// insert it left half done costs a number, never a duplicate), and a
// followed child's new trace gets every record again.
void ResetPythonRecordsAfterFork();

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PYTHON_CODE_REGISTRY_H_
