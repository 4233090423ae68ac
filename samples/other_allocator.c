/* Built twice, linked with jemalloc and with tcmalloc (Debian's libjemalloc2
 * and libgoogle-perftools4): the tracker forwards to the program's own
 * allocator, not glibc's. 4 threads each make 100000 temporary blocks and
 * keep 77 bytes at "kept-block". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void* volatile sink;

static void* Work(void* argument) {
  for (int i = 0; i < 100000; ++i) free(malloc(i % 500 + 1)); /* temporary-block */
  sink = malloc(77); /* kept-block */
  return argument;
}

int main(void) {
  pthread_t threads[4];
  for (int i = 0; i < 4; ++i) {
    if (pthread_create(&threads[i], NULL, Work, NULL) != 0) return 1;
  }
  for (int i = 0; i < 4; ++i) pthread_join(threads[i], NULL);
  printf("other_allocator: done\n");
  return 0;
}
