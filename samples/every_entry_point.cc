// Calls every allocation entry point of SPEC §3 exactly once, each with its
// own size, and releases each block with its matching function — except one
// new[] block released by free(), a mismatch on purpose.
//
// Totals (beyond `empty`): 23 allocations of 2667 bytes in all (the sizes
// in the calls below), 23 releases, nothing leaked, 1 mismatched free.

#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <new>

extern "C" {
// C23, in glibc from 2.39 only: weak, provided by the preload when present.
void free_sized(void*, size_t) __attribute__((weak));
void free_aligned_sized(void*, size_t, size_t) __attribute__((weak));
}

void* volatile sink;

namespace {

template <typename T>
T* Keep(T* ptr) {
  sink = ptr;
  return ptr;
}

}  // namespace

int main() {
  free(Keep(malloc(101)));
  free(Keep(calloc(2, 51)));                                   // 102
  void* r = Keep(realloc(nullptr, 103));                       // realloc as malloc
  free(r);
  free(Keep(reallocarray(nullptr, 2, 52)));                    // 104
  void* p = nullptr;
  if (posix_memalign(&p, 64, 105) == 0) free(Keep(p));
  free(Keep(aligned_alloc(64, 128)));                          // 128: a multiple of 64
  free(Keep(memalign(64, 107)));
  free(Keep(valloc(108)));
  free(Keep(pvalloc(109)));
  if (free_sized != nullptr) {
    free_sized(Keep(malloc(110)), 110);
    free_aligned_sized(Keep(aligned_alloc(64, 192)), 64, 192);
  }
  operator delete(Keep(operator new(111)));
  operator delete[](Keep(operator new[](112)));
  operator delete(Keep(operator new(113, std::nothrow)), std::nothrow);
  operator delete[](Keep(operator new[](114, std::nothrow)), std::nothrow);
  operator delete(Keep(operator new(115)), size_t{115});       // sized
  operator delete[](Keep(operator new[](116)), size_t{116});
  operator delete(Keep(operator new(117, std::align_val_t{64})), std::align_val_t{64});
  operator delete[](Keep(operator new[](118, std::align_val_t{64})), std::align_val_t{64});
  operator delete(Keep(operator new(119, std::align_val_t{64}, std::nothrow)),
                  std::align_val_t{64}, std::nothrow);
  operator delete[](Keep(operator new[](120, std::align_val_t{64}, std::nothrow)),
                    std::align_val_t{64}, std::nothrow);
  operator delete(Keep(operator new(121, std::align_val_t{64})), size_t{121},
                  std::align_val_t{64});
  free(Keep(operator new[](122)));  // MISMATCH: new[] released by free
  static const char kDone[] = "every_entry_point: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
