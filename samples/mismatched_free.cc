// A new[] block released by free(), allocated and released in two different
// functions, so that a report shows both stacks ("// @name" markers):
// 120 bytes allocated at @allocate, released at @release, called from
// @call_release in main.

#include <stdlib.h>
#include <unistd.h>

int* volatile sink;

namespace {

__attribute__((noinline)) int* MakeBuffer() {
  sink = new int[30];  // @allocate
  return sink;
}

__attribute__((noinline)) void Release(int* buffer) {
  free(buffer);  // @release  MISMATCH: new[] released by free
}

}  // namespace

int main() {
  int* buffer = MakeBuffer();
  Release(buffer);  // @call_release
  static const char kDone[] = "mismatched_free: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
