// Pages from mmap, and their registry (see private_heap.h).

#include "private_heap.h"

#include <sys/mman.h>

#include <atomic>

namespace heaptrail::preload {
namespace {

// A thread's state and its ring are two ranges: room for a few thousand
// threads, besides the writer's buffers.
constexpr size_t kMaxRanges = 8192;

struct Registered {
  std::atomic<uint64_t> begin;  // 0: a free entry
  std::atomic<uint64_t> size;
};

constinit Registered registry[kMaxRanges] = {};

void Register(void* pages, size_t size) {
  auto begin = reinterpret_cast<uint64_t>(pages);
  for (Registered& entry : registry) {
    uint64_t expected = 0;
    if (entry.begin.load(std::memory_order_relaxed) == 0 &&
        entry.begin.compare_exchange_strong(expected, begin, std::memory_order_relaxed)) {
      entry.size.store(size, std::memory_order_release);
      return;
    }
  }
}

void Unregister(void* pages) {
  auto begin = reinterpret_cast<uint64_t>(pages);
  for (Registered& entry : registry) {
    if (entry.begin.load(std::memory_order_relaxed) != begin) continue;
    entry.size.store(0, std::memory_order_relaxed);
    entry.begin.store(0, std::memory_order_release);
    return;
  }
}

}  // namespace

void* AllocatePages(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return nullptr;
  Register(p, size);
  return p;
}

void FreePages(void* ptr, size_t size) {
  if (ptr == nullptr) return;
  Unregister(ptr);
  munmap(ptr, size);
}

size_t PrivateRanges(PageRange* out, size_t capacity) {
  size_t count = 0;
  for (const Registered& entry : registry) {
    uint64_t begin = entry.begin.load(std::memory_order_acquire);
    uint64_t size = entry.size.load(std::memory_order_acquire);
    if (begin == 0 || size == 0) continue;
    if (count == capacity) break;
    out[count++] = PageRange{begin, begin + size};
  }
  return count;
}

}  // namespace heaptrail::preload
