/* A program that installs its own handler for SIGUSR2, heaptrail's default
 * snapshot signal, and raises it: the program's handler must run (it prints
 * "handled 1"), and the tracker warns once that the signal no longer takes
 * snapshots.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr2(int signo) {
  (void)signo;
  handled++;
}

int main(void) {
  signal(SIGUSR2, on_usr2);
  raise(SIGUSR2);
  printf("handled %d\n", (int)handled);
  return handled == 1 ? 0 : 1;
}
