// Resolution of the next allocator in the chain, and the bootstrap arena that
// serves dlsym's own calloc while it runs.

#include "next_allocator.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace heaptrail::preload {

constinit NextAllocator next = {};

namespace {

// --- bootstrap arena --------------------------------------------------------

constexpr size_t kBootstrapSize = 256 * 1024;
constexpr size_t kHeaderSize = 16;  // the block size, kept in front of it

alignas(64) constinit char bootstrap_arena[kBootstrapSize] = {};
constinit std::atomic<size_t> bootstrap_used{0};

// --- resolution ---------------------------------------------------------------

enum State : int { kUnresolved, kResolving, kResolved };
constinit std::atomic<int> state{kUnresolved};

template <typename Fn>
void Resolve(Fn*& slot, const char* name) {
  slot = reinterpret_cast<Fn*>(dlsym(RTLD_NEXT, name));
}

}  // namespace

void* BootstrapAlloc(size_t size, size_t alignment) {
  if (alignment < kHeaderSize) alignment = kHeaderSize;
  size_t used = bootstrap_used.load(std::memory_order_relaxed);
  for (;;) {
    size_t start = (used + kHeaderSize + alignment - 1) & ~(alignment - 1);
    size_t end = start + size;
    if (end > kBootstrapSize || end < start) return nullptr;
    if (bootstrap_used.compare_exchange_weak(used, end, std::memory_order_relaxed)) {
      std::memcpy(bootstrap_arena + start - kHeaderSize, &size, sizeof(size));
      return bootstrap_arena + start;  // zero-filled: the arena is never reused
    }
  }
}

bool IsBootstrapBlock(const void* ptr) {
  auto address = reinterpret_cast<uintptr_t>(ptr);
  auto begin = reinterpret_cast<uintptr_t>(bootstrap_arena);
  return address >= begin && address < begin + kBootstrapSize;
}

size_t BootstrapBlockSize(const void* ptr) {
  size_t size;
  std::memcpy(&size, static_cast<const char*>(ptr) - kHeaderSize, sizeof(size));
  return size;
}

bool NextAllocatorReady() {
  return state.load(std::memory_order_acquire) == kResolved;
}

void ResolveNextAllocator() {
  int expected = kUnresolved;
  if (!state.compare_exchange_strong(expected, kResolving, std::memory_order_acq_rel)) {
    // Another thread resolves; allocations on this one meanwhile come from the
    // bootstrap arena (the callers check NextAllocatorReady()).
    return;
  }
  Resolve(next.malloc, "malloc");
  Resolve(next.free, "free");
  Resolve(next.calloc, "calloc");
  Resolve(next.realloc, "realloc");
  Resolve(next.reallocarray, "reallocarray");
  Resolve(next.posix_memalign, "posix_memalign");
  Resolve(next.aligned_alloc, "aligned_alloc");
  Resolve(next.memalign, "memalign");
  Resolve(next.valloc, "valloc");
  Resolve(next.pvalloc, "pvalloc");
  Resolve(next.malloc_usable_size, "malloc_usable_size");
  Resolve(next.free_sized, "free_sized");
  Resolve(next.free_aligned_sized, "free_aligned_sized");
  Resolve(next.new_, "_Znwm");
  Resolve(next.new_array, "_Znam");
  Resolve(next.new_nothrow, "_ZnwmRKSt9nothrow_t");
  Resolve(next.new_array_nothrow, "_ZnamRKSt9nothrow_t");
  Resolve(next.new_aligned, "_ZnwmSt11align_val_t");
  Resolve(next.new_array_aligned, "_ZnamSt11align_val_t");
  Resolve(next.new_aligned_nothrow, "_ZnwmSt11align_val_tRKSt9nothrow_t");
  Resolve(next.new_array_aligned_nothrow, "_ZnamSt11align_val_tRKSt9nothrow_t");
  Resolve(next.delete_, "_ZdlPv");
  Resolve(next.delete_array, "_ZdaPv");
  Resolve(next.delete_aligned, "_ZdlPvSt11align_val_t");
  Resolve(next.delete_array_aligned, "_ZdaPvSt11align_val_t");
  state.store(kResolved, std::memory_order_release);
}

}  // namespace heaptrail::preload
