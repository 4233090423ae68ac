/* 10000 short-lived threads, one after the other: each frees a 64-byte
 * block and keeps 16 bytes at "storm-kept". The tracker's per-thread states
 * are reused, and every thread's events are written. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void* volatile sink;

static void* Work(void* argument) {
  free(malloc(64)); /* storm-temporary */
  sink = malloc(16); /* storm-kept */
  return argument;
}

int main(void) {
  for (int i = 0; i < 10000; ++i) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, Work, NULL) != 0 || pthread_join(thread, NULL) != 0) {
      return 1;
    }
  }
  printf("thread_storm: 10000 threads\n");
  return 0;
}
