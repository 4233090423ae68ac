// Built -O2: the allocation happens in a function inlined into another
// inlined function, inlined into main. The report's stack shows the inline
// chain, each frame with its own function and line ("// @name" markers).
//
// Leaked: 1000 bytes in 1 block at @inner.

#include <stdlib.h>
#include <unistd.h>

void* volatile sink;

namespace {

inline __attribute__((always_inline)) int* MakeTable(size_t entries) {
  return static_cast<int*>(malloc(entries * sizeof(int)));  // @inner
}

inline __attribute__((always_inline)) int* MakeTables() {
  return MakeTable(250);  // @middle
}

}  // namespace

int main() {
  sink = MakeTables();  // @outer
  static const char kDone[] = "inlined_alloc: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
