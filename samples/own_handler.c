/* A program that installs its own handler for SIGUSR2, heaptrail's default
 * snapshot signal, and raises it: the program's handler must run (it prints
 * "handled 1"), and the tracker warns once that the signal no longer takes
 * snapshots. With the argument "wait", it then prints "pid N", waits for a
 * line on stdin and prints how many signals its handler got.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr2(int signo) {
  (void)signo;
  handled++;
}

int main(int argc, char** argv) {
  signal(SIGUSR2, on_usr2);
  raise(SIGUSR2);
  printf("handled %d\n", (int)handled);
  if (argc > 1 && strcmp(argv[1], "wait") == 0) {
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    char c;
    while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
    }
    printf("handled %d\n", (int)handled);
    return 0;
  }
  return handled == 1 ? 0 : 1;
}
