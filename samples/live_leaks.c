/* Leak kinds of a running process, for `heaptrail snapshot PID --leaks`.
 *
 * Prints "pid N". Phase 1 leaves blocks of each kind, says "ready" and
 * waits for a line on stdin (snapshots come meanwhile, on the snapshot
 * signal):
 *   @live_dropped   malloc(123), pointer dropped          definitely lost
 *   @live_global    malloc(456), held by a global         still reachable
 *   @live_interior  malloc(789), only p+16 held            possibly lost
 * Phase 2, on that line: frees the global's block, drops another, exits:
 *   @live_later     malloc(321), pointer dropped          definitely lost
 * At the end: 123 and 321 definitely lost, 789 possibly lost.
 *
 * "live_leaks thread": a second thread makes the blocks, so the tracker's
 * writer thread runs. "live_leaks big": also 1024 blocks of 1 MiB, written
 * (so resident) and reachable: a 1 GiB heap, for the scan's pause. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void* volatile sink;
void* volatile global_block;
char* volatile interior;
void* volatile* big_blocks;

static NOINLINE void phase_one(void) {
  sink = malloc(123); /* @live_dropped */
  sink = NULL;
  global_block = malloc(456); /* @live_global */
  char* block = malloc(789); /* @live_interior */
  interior = block + 16;
}

static void* run_phase_one(void* argument) {
  phase_one();
  return argument;
}

static NOINLINE void make_big_heap(void) {
  big_blocks = malloc(1024 * sizeof(void*));
  for (int i = 0; i < 1024; ++i) {
    big_blocks[i] = malloc(1 << 20);
    memset((void*)big_blocks[i], 1, 1 << 20);
  }
}

static NOINLINE void scrub_stack(void) {
  volatile char area[16384];
  for (size_t i = 0; i < sizeof(area); ++i) area[i] = 0;
}

int main(int argc, char** argv) {
  char line[64];
  int n = snprintf(line, sizeof(line), "pid %d\n", (int)getpid());
  if (write(STDOUT_FILENO, line, (size_t)n) < 0) return 1;
  if (argc == 2 && strcmp(argv[1], "thread") == 0) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, run_phase_one, NULL) != 0 ||
        pthread_join(thread, NULL) != 0) {
      return 1;
    }
  } else {
    phase_one();
  }
  if (argc == 2 && strcmp(argv[1], "big") == 0) make_big_heap();
  scrub_stack();
  static const char kReady[] = "ready\n";
  if (write(STDOUT_FILENO, kReady, sizeof(kReady) - 1) < 0) return 1;
  if (read(STDIN_FILENO, line, sizeof(line)) < 0) return 1;
  free(global_block);
  global_block = NULL;
  sink = malloc(321); /* @live_later */
  sink = NULL;
  scrub_stack();
  static const char kDone[] = "done\n";
  if (write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0) return 1;
  return 0;
}
