/* Allocates 1000 blocks of 100 bytes, says so, then waits to be killed: the
 * trace of a process killed by SIGKILL must still report what was flushed. */
#include <stdlib.h>
#include <unistd.h>

void* volatile sink;

int main(void) {
  for (int i = 0; i < 1000; ++i) sink = malloc(100);
  static const char kReady[] = "ready\n";
  if (write(STDOUT_FILENO, kReady, sizeof(kReady) - 1) < 0) return 1;
  for (;;) pause();
}
