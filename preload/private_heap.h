// The tracker's private memory: pages straight from the kernel, never the
// traced program's heap.
//
// Every structure of the tracker is a fixed table, a grow-only list or a
// buffer that grows rarely, so pages serve them as well as an allocator
// would. And they are never torn down: process exit runs other libraries'
// destructors and atexit handlers after ours, in an order nobody controls,
// and their frees must still be recorded and written (docs/design.md, "Exit").
// An allocator in a shared library of its own (mimalloc) runs its own exit
// handler at a moment the loader picks; pages have no such moment.
//
// The pages are registered, so that the reachability scan leaves them out of
// its roots: they hold the addresses of the program's blocks.
//
// Thread-safe and async-signal-safe (mmap and munmap are system calls).

#ifndef HEAPTRAIL_PRELOAD_PRIVATE_HEAP_H_
#define HEAPTRAIL_PRELOAD_PRIVATE_HEAP_H_

#include <cstddef>
#include <cstdint>

namespace heaptrail::preload {

// `size` bytes of zero-filled pages, or null; freed with FreePages(ptr, size).
void* AllocatePages(size_t size);
void FreePages(void* ptr, size_t size);

struct PageRange {
  uint64_t begin;
  uint64_t end;
};

// The ranges AllocatePages() handed out and are not freed, up to `capacity`
// of them, in no order; their number. Beyond the registry's 8192 ranges
// (thousands of threads), pages are not registered: the leak scan then
// reads them as roots, and blocks they name come out reachable.
size_t PrivateRanges(PageRange* out, size_t capacity);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_PRIVATE_HEAP_H_
