/* A program that blocks every signal, in main and in its threads, then
 * allocates; the snapshot signal it raises stays pending (never delivered).
 *
 * Live at the end: 4 blocks of 64 bytes from the threads ("thread-block")
 * and 1 of 32 from main ("main-block"); snapshot 1 (the C API) sees the
 * 32 bytes.
 */
#include <heaptrail/heaptrail.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void* kept[5];

static void* Body(void* argument) {
  long index = (long)argument;
  kept[index] = malloc(64); /* thread-block */
  return NULL;
}

int main(void) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  kept[4] = malloc(32); /* main-block */
  heaptrail_snapshot("blocked");
  raise(SIGUSR2);
  pthread_t threads[4];
  for (long i = 0; i < 4; ++i) pthread_create(&threads[i], NULL, Body, (void*)i);
  for (int i = 0; i < 4; ++i) pthread_join(threads[i], NULL);
  printf("block_signals: done\n");
  return 0;
}
