// setjmp/longjmp and C++ exceptions through frames that allocate; every
// allocation made after them must still get its exact stack.
//
// Live at the end:
//   "before-longjmp": 5 blocks of 40 bytes (one per abandoned frame)
//   "after-longjmp": 1 block of 41 bytes
//   "guarded": none (unique_ptr frees them while the exception unwinds;
//              5 blocks of 32 bytes were allocated)
//   "after-exception": 1 block of 43 bytes
// The exception object itself (__cxa_allocate_exception) is freed by the
// catch.

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <memory>
#include <stdexcept>

namespace {

jmp_buf jump;
void* kept[8];
void* volatile sink;

// GCC 12 takes the noreturn longjmp for a path that recurses forever.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) void DescendThenJump(int depth) {
  kept[depth] = malloc(40);  // before-longjmp
  if (depth == 0) longjmp(jump, 1);
  DescendThenJump(depth - 1);
}
#pragma GCC diagnostic pop

__attribute__((noinline)) void DescendThenThrow(int depth) {
  std::unique_ptr<char[]> guard(new char[32]);  // guarded
  sink = guard.get();
  if (depth == 0) throw std::runtime_error("unwinding");
  DescendThenThrow(depth - 1);
}

__attribute__((noinline)) void AfterLongjmp() {
  kept[5] = malloc(41);  // after-longjmp
}

__attribute__((noinline)) void AfterException() {
  kept[6] = malloc(43);  // after-exception
}

}  // namespace

int main() {
  if (setjmp(jump) == 0) DescendThenJump(4);
  AfterLongjmp();
  try {
    DescendThenThrow(4);
  } catch (const std::exception& error) {
    printf("unwinding: caught %s\n", error.what());
  }
  AfterException();
  return 0;
}
