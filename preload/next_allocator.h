// The allocator the traced program would have used without us: the next
// definition of each allocation function in the symbol search order (glibc's,
// or jemalloc's / tcmalloc's when the program links one).
//
// Resolving them calls dlsym, which itself calls calloc: those calls, and any
// made before resolution finishes, are served by a small bootstrap arena whose
// blocks are never returned.

#ifndef HEAPTRAIL_PRELOAD_NEXT_ALLOCATOR_H_
#define HEAPTRAIL_PRELOAD_NEXT_ALLOCATOR_H_

#include <cstddef>
#include <new>

namespace heaptrail::preload {

struct NextAllocator {
  void* (*malloc)(size_t);
  void (*free)(void*);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  void* (*reallocarray)(void*, size_t, size_t);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  void* (*memalign)(size_t, size_t);
  void* (*valloc)(size_t);
  void* (*pvalloc)(size_t);
  size_t (*malloc_usable_size)(void*);
  void (*free_sized)(void*, size_t);                    // null before glibc 2.39
  void (*free_aligned_sized)(void*, size_t, size_t);    // null before glibc 2.39
  void* (*new_)(size_t);
  void* (*new_array)(size_t);
  void* (*new_nothrow)(size_t, const std::nothrow_t&);
  void* (*new_array_nothrow)(size_t, const std::nothrow_t&);
  void* (*new_aligned)(size_t, std::align_val_t);
  void* (*new_array_aligned)(size_t, std::align_val_t);
  void* (*new_aligned_nothrow)(size_t, std::align_val_t, const std::nothrow_t&);
  void* (*new_array_aligned_nothrow)(size_t, std::align_val_t, const std::nothrow_t&);
  void (*delete_)(void*);
  void (*delete_array)(void*);
  void (*delete_aligned)(void*, std::align_val_t);
  void (*delete_array_aligned)(void*, std::align_val_t);
};

// The resolved functions. Every member is valid after ResolveNextAllocator()
// returned (free_sized / free_aligned_sized may be null).
extern constinit NextAllocator next;

// Idempotent and thread-safe; called from the first hook that runs.
void ResolveNextAllocator();

// Whether every function of `next` is resolved.
bool NextAllocatorReady();

// The bootstrap arena: a bump allocator for the calls made while resolving.
void* BootstrapAlloc(size_t size, size_t alignment);
bool IsBootstrapBlock(const void* ptr);
size_t BootstrapBlockSize(const void* ptr);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_NEXT_ALLOCATOR_H_
