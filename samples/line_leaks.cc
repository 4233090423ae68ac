// Leaks at known lines, one per allocation function, leaks from several
// threads, and a transient 8 MiB peak. Each allocating line carries a
// marker comment ("// @name") by which the report test finds its number.
//
// Live at the end, per line (bytes in blocks):
//   @malloc          3 x malloc(100)                     300 in 3
//   @calloc          calloc(10, 20)                      200 in 1
//   @realloc_last    malloc(16) -> realloc 64 -> 256     256 in 1 (the chain
//                    moves the block to each realloc's line; earlier lines: 0)
//   @new_array       new int[12]                          48 in 1
//   @aligned_new     new Aligned (alignas(64), 192 B)    192 in 1
//   @posix_memalign  posix_memalign(64, 320)             320 in 1
//   @aligned_alloc   aligned_alloc(128, 384)             384 in 1
//   @thread          4 threads x malloc(512)            2048 in 4
// At the peak, @peak holds 8 MiB (8388608 B in 1 block), freed before exit.

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <new>

void* volatile sink;  // every pointer escapes through here

namespace {

struct alignas(64) Aligned {
  char data[192];
};

template <typename T>
T* Keep(T* ptr) {
  sink = ptr;
  return ptr;
}

void LeakFromEveryFunction() {
  for (int i = 0; i < 3; ++i) Keep(malloc(100));  // @malloc
  Keep(calloc(10, 20));  // @calloc
  void* grown = Keep(malloc(16));  // @realloc_first
  grown = Keep(realloc(grown, 64));  // @realloc_middle
  grown = Keep(realloc(grown, 256));  // @realloc_last
  Keep(new int[12]);  // @new_array
  Keep(new Aligned);  // @aligned_new
  void* aligned = nullptr;
  if (posix_memalign(&aligned, 64, 320) == 0) Keep(aligned);  // @posix_memalign
  Keep(aligned_alloc(128, 384));  // @aligned_alloc
}

void* LeakOnAThread(void*) {
  return Keep(malloc(512));  // @thread
}

void TransientPeak() {
  void* big = Keep(malloc(8 << 20));  // @peak
  memset(big, 1, 8 << 20);
  free(big);
}

}  // namespace

int main() {
  LeakFromEveryFunction();
  pthread_t threads[4];
  for (pthread_t& thread : threads) pthread_create(&thread, nullptr, LeakOnAThread, nullptr);
  for (pthread_t thread : threads) pthread_join(thread, nullptr);
  TransientPeak();
  static const char kDone[] = "line_leaks: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
