/* Snapshot markers from the C API and from the snapshot signal, then _exit
 * (which skips destructors: the recorder must flush anyway).
 *
 * Beyond `empty`: snapshot 1 ("first", API) sees 10 bytes live in 1 block,
 * snapshot 2 (signal) sees 30 bytes in 2 blocks; 3 allocations in all
 * (10 + 20 + 30 bytes), none freed.
 */
#include <heaptrail/heaptrail.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

void* volatile sink;

int main(void) {
  sink = malloc(10);
  heaptrail_snapshot("first");
  sink = malloc(20);
  raise(SIGUSR2); /* without the tracker this would end the program */
  sink = malloc(30);
  static const char kDone[] = "snapshots: done\n";
  if (write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0) _exit(1);
  _exit(0);
}
