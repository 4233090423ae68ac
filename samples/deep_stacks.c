// Stacks that change between consecutive allocations in the ways the
// tracker's stack cache must see through: recursion of changing depth, and
// one function reached at the same stack pointer from two callers.
//
// Every block is leaked, so that `heaptrail report --by stack --at end`
// shows each stack. Exactly:
//   for L in 3..12, 100 blocks of 100 + L bytes, each allocated under L + 1
//   frames of Recurse (called from main);
//   100 blocks of 7 bytes under Leaf <- ViaA <- main, and 100 blocks of 9
//   bytes under Leaf <- ViaB <- main, allocated alternately.
// Built twice (samples/CMakeLists.txt): with frame pointers at -O0, and at
// -O2 without them.

#include <stdio.h>
#include <stdlib.h>

static void* volatile sink;

__attribute__((noinline)) void* Recurse(int levels, size_t size) {
  void* block = levels == 0 ? malloc(size) : Recurse(levels - 1, size);
  __asm__ volatile("" : : "r"(block) : "memory");  // not a tail call
  return block;
}

__attribute__((noinline)) void* Leaf(size_t size) {
  void* block = malloc(size);
  __asm__ volatile("" : : "r"(block) : "memory");
  return block;
}

// Same frame size, different return addresses: Leaf runs at one sp under
// either.
__attribute__((noinline)) void* ViaA(void) {
  void* block = Leaf(7);
  __asm__ volatile("" : : "r"(block) : "memory");
  return block;
}

__attribute__((noinline)) void* ViaB(void) {
  void* block = Leaf(9);
  __asm__ volatile("" : : "r"(block) : "memory");
  return block;
}

int main(void) {
  for (int round = 0; round < 100; ++round) {
    for (int levels = 3; levels <= 12; ++levels) sink = Recurse(levels, 100 + levels);
    sink = ViaA();
    sink = ViaB();
  }
  puts("done");
  return 0;
}
