/* Allocates 1000 blocks of 100 bytes, says so, then waits to be killed: the
 * trace of a process killed by SIGKILL must still report what was flushed.
 *
 * "allocate_then_wait thread": a second thread allocates the blocks, so the
 * tracker's writer thread runs and writes a chunk every 100 ms. Without it,
 * the program is single-threaded and so is the tracker (the blocks are
 * written at the next round: a snapshot signal, or exit). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void* volatile sink;

static void* Allocate(void* argument) {
  for (int i = 0; i < 1000; ++i) sink = malloc(100); /* waiting-block */
  return argument;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "thread") == 0) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, Allocate, NULL) != 0 || pthread_join(thread, NULL) != 0) {
      return 1;
    }
  } else {
    Allocate(NULL);
  }
  static const char kReady[] = "ready\n";
  if (write(STDOUT_FILENO, kReady, sizeof(kReady) - 1) < 0) return 1;
  for (;;) pause();
}
