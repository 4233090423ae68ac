/* Allocation wrappers: every block goes through one. `xmalloc` is on the
 * built-in list, so its blocks are credited to its callers; `my_alloc` is
 * not, until `--alloc-fn my_alloc` says so.
 *   live at the end: 3 x 100 at "xmalloc-first-caller", 2 x 200 at
 *   "xmalloc-second-caller" (inside xmalloc: "inside-xmalloc");
 *   4 x 50 at "my-alloc-caller" (inside my_alloc: "inside-my-alloc"). */
#include <stdio.h>
#include <stdlib.h>

void* volatile sink;

void* xmalloc(size_t size) {
  void* block = malloc(size); /* inside-xmalloc */
  if (block == NULL) abort();
  return block;
}

static void* my_alloc(size_t size) {
  return malloc(size); /* inside-my-alloc */
}

static void FirstCaller(void) {
  for (int i = 0; i < 3; ++i) sink = xmalloc(100); /* xmalloc-first-caller */
}

static void SecondCaller(void) {
  for (int i = 0; i < 2; ++i) sink = xmalloc(200); /* xmalloc-second-caller */
}

int main(void) {
  FirstCaller();
  SecondCaller();
  for (int i = 0; i < 4; ++i) sink = my_alloc(50); /* my-alloc-caller */
  printf("alloc_wrappers: done\n");
  return 0;
}
