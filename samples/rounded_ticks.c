/* One thread allocating without a pause while it takes snapshots. The
 * writer rounds the ticks of a thread alone in its rounds (trace_format.h,
 * "Rounded ticks"), and must never move an allocation across a snapshot.
 *
 * Eight batches of 1000 blocks of 24 bytes, each spread over ~60 ms (three
 * writer rounds), none freed, and a snapshot after each: from the C API
 * after odd batches, from the snapshot signal after even ones. The next
 * batch starts at once. Snapshot k sees exactly k x 1000 blocks of the
 * sample.
 */
#include <heaptrail/heaptrail.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void* volatile sink;

static double Now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

int main(void) {
  for (int batch = 1; batch <= 8; ++batch) {
    double start = Now();
    for (int i = 0; i < 1000; ++i) {
      sink = malloc(24);
      while (Now() < start + 0.06 * (i + 1) / 1000) {
      }
    }
    if (batch % 2 == 1) {
      heaptrail_snapshot("api");
    } else {
      raise(SIGUSR2); /* without the tracker this would end the program */
    }
  }
  static const char kDone[] = "rounded_ticks: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
