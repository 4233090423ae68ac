// Pages from mmap (see private_heap.h).

#include "private_heap.h"

#include <sys/mman.h>

namespace heaptrail::preload {

void* AllocatePages(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void FreePages(void* ptr, size_t size) {
  if (ptr != nullptr) munmap(ptr, size);
}

}  // namespace heaptrail::preload
