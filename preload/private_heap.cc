// mimalloc loaded privately (see private_heap.h), with an mmap fallback.

#include "private_heap.h"

#include <dlfcn.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace heaptrail::preload {
namespace {

struct Mimalloc {
  void* (*malloc)(size_t);
  void* (*calloc)(size_t, size_t);
  void (*free)(void*);
  bool (*is_in_heap_region)(const void*);
};

// Written once before the writer thread starts; read-only afterwards.
constinit Mimalloc mi = {};
constinit std::atomic<bool> mi_ready{false};

// The fallback keeps the size in front of the block so it can be unmapped.
constexpr size_t kPageHeader = 64;

void* MapBlock(size_t size) {
  size_t total = size + kPageHeader;
  void* base = AllocatePages(total);
  if (base == nullptr) return nullptr;
  std::memcpy(base, &total, sizeof(total));
  return static_cast<char*>(base) + kPageHeader;
}

}  // namespace

void InitPrivateHeap() {
  void* handle = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return;
  mi.malloc = reinterpret_cast<void* (*)(size_t)>(dlsym(handle, "mi_malloc"));
  mi.calloc = reinterpret_cast<void* (*)(size_t, size_t)>(dlsym(handle, "mi_calloc"));
  mi.free = reinterpret_cast<void (*)(void*)>(dlsym(handle, "mi_free"));
  mi.is_in_heap_region =
      reinterpret_cast<bool (*)(const void*)>(dlsym(handle, "mi_is_in_heap_region"));
  if (mi.malloc && mi.calloc && mi.free && mi.is_in_heap_region) {
    mi_ready.store(true, std::memory_order_release);
  }
}

void* PrivateAlloc(size_t size) {
  if (mi_ready.load(std::memory_order_acquire)) return mi.malloc(size);
  return MapBlock(size);
}

void* PrivateCalloc(size_t count, size_t size) {
  if (mi_ready.load(std::memory_order_acquire)) return mi.calloc(count, size);
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  return MapBlock(count * size);  // mmap'ed pages are zero
}

void PrivateFree(void* ptr) {
  if (ptr == nullptr) return;
  if (mi_ready.load(std::memory_order_acquire) && mi.is_in_heap_region(ptr)) {
    mi.free(ptr);
    return;
  }
  void* base = static_cast<char*>(ptr) - kPageHeader;
  size_t total;
  std::memcpy(&total, base, sizeof(total));
  FreePages(base, total);
}

void* AllocatePages(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void FreePages(void* ptr, size_t size) { munmap(ptr, size); }

}  // namespace heaptrail::preload
