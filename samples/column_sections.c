/* A second thread allocating in six bursts 30 ms apart: the writer thread
 * drains each burst in a round of its own, and a chunk waits up to 100 ms,
 * so a chunk holds several of the thread's rounds, their columns in one
 * section of the thread (preload/event_columns.h, kColumnSections).
 *
 * 6 bursts x 2000 blocks of 40 bytes = 12000 allocations, 480000 bytes,
 * each freed within its burst: at the peak, one burst's 2000 blocks live.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { kBursts = 6, kBlocks = 2000, kBlockSize = 40 };

static void* blocks[kBlocks];

static void* Allocate(void* unused) {
  (void)unused;
  for (int burst = 0; burst < kBursts; ++burst) {
    for (int i = 0; i < kBlocks; ++i) blocks[i] = malloc(kBlockSize); /* burst */
    for (int i = 0; i < kBlocks; ++i) free(blocks[i]);
    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  return NULL;
}

int main(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, Allocate, NULL) != 0) return 1;
  pthread_join(thread, NULL);
  static const char kDone[] = "column_sections: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
