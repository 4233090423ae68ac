// The tracker's private heap: mimalloc, never the traced program's heap.
//
// Debian ships mimalloc only as a shared library that also exports malloc and
// free. Linking it would put those into the program's global symbol scope
// (ahead of glibc for some programs), so it is dlopen'ed RTLD_LOCAL instead
// and only its mi_* entry points are used. Until it is loaded (or if it cannot
// be), blocks come straight from mmap.
//
// Thread-safe. Not async-signal-safe.

#ifndef HEAPTRAIL_PRELOAD_PRIVATE_HEAP_H_
#define HEAPTRAIL_PRELOAD_PRIVATE_HEAP_H_

#include <cstddef>

namespace heaptrail::preload {

// Loads mimalloc. Called once at start-up, with the recursion guard held.
void InitPrivateHeap();

void* PrivateAlloc(size_t size);
void* PrivateCalloc(size_t count, size_t size);
void PrivateFree(void* ptr);

// Zero-filled pages straight from the kernel, for large fixed tables; freed
// with FreePages.
void* AllocatePages(size_t size);
void FreePages(void* ptr, size_t size);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PRIVATE_HEAP_H_
