/* Two phases, each ended by a line on stdin, so that snapshots can be taken
 * from outside (`heaptrail snapshot PID`) while the program waits. It prints
 * "pid N" first, then "phase 1 done" and "phase 2 done".
 *
 * Phase 1: grow() keeps 4 x 1000 bytes, shrink() keeps 8 x 500 bytes,
 * churn() keeps 3 x 256 bytes.
 * Phase 2: grow() adds 6 x 1000 bytes (10 blocks), shrink() frees 5 of its
 * blocks (3 left), churn() frees its 3 blocks and allocates 3 new ones of
 * 256 bytes.
 * So from the end of phase 1 to the end of phase 2: grow's line +6000 bytes
 * in +6 blocks, shrink's line -2500 bytes in -5 blocks, churn's line 0 and 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void* grown[10];
static void* shrunk[8];
static void* churned[3];

static void say(const char* text) {
  if (write(STDOUT_FILENO, text, strlen(text)) < 0) exit(1);
}

static void wait_for_line(void) {
  char c;
  while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
  }
}

static void grow(int from, int to) {
  for (int i = from; i < to; ++i) grown[i] = malloc(1000); /* growing line */
}

static void shrink(int keep) {
  for (int i = 0; i < 8; ++i) {
    if (i >= keep) {
      free(shrunk[i]);
      shrunk[i] = NULL;
    } else if (shrunk[i] == NULL) {
      shrunk[i] = malloc(500); /* shrinking line */
    }
  }
}

static void churn(void) {
  for (int i = 0; i < 3; ++i) {
    free(churned[i]);
    churned[i] = malloc(256); /* churning line */
  }
}

int main(void) {
  char line[64];
  snprintf(line, sizeof(line), "pid %d\n", (int)getpid());
  say(line);
  grow(0, 4);
  shrink(8);
  churn();
  say("phase 1 done\n");
  wait_for_line();
  grow(4, 10);
  shrink(3);
  churn();
  say("phase 2 done\n");
  wait_for_line();
  return 0;
}
