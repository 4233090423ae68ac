/* Leaks at known lines, plus temporaries and a transient peak.
 *
 * Totals (beyond what `empty` allocates):
 *   allocations 21: 10 x malloc(100), calloc(4, 256), malloc(16) + 2 realloc,
 *                   5 x malloc(1000) freed at once, malloc(1 MiB) freed later,
 *                   malloc(24) for the string
 *   allocated bytes 10*100 + 1024 + 16 + 64 + 4096 + 5*1000 + 1048576 + 24
 *                 = 1059800
 *   leaked: 10 x 100 + 1024 + 4096 + 24 = 6144 bytes in 13 blocks
 *   peak: 6144 + 1048576 = 1054720 bytes (the 1 MiB block is live with every
 *         leak, and nothing else then)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void* volatile sink; /* every pointer escapes through here */

static void leak_small_blocks(void) {
  for (int i = 0; i < 10; ++i) sink = malloc(100); /* LEAK: 10 x 100 */
}

static char* duplicate(const char* text) {
  char* copy = malloc(strlen(text) + 1); /* LEAK: 24 */
  strcpy(copy, text);
  return copy;
}

int main(void) {
  leak_small_blocks();
  sink = calloc(4, 256); /* LEAK: 1024 */
  void* grown = malloc(16);
  grown = realloc(grown, 64);
  grown = realloc(grown, 4096); /* LEAK: 4096 */
  sink = grown;
  for (int i = 0; i < 5; ++i) {
    void* temporary = malloc(1000);
    sink = temporary;
    free(temporary);
  }
  sink = duplicate("a string of 23 letters.");
  void* big = malloc(1 << 20); /* the transient peak */
  memset(big, 1, 1 << 20);
  sink = big;
  free(big);
  static const char kDone[] = "leaks: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
