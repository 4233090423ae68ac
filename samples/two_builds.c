/* One source, two builds, for a diff of two runs: two_builds_old, and
 * two_builds_new built with -DHEAPTRAIL_SHIFT (code ahead of everything,
 * shifting every address) and -DHEAPTRAIL_EXTRA (one more round of growth).
 *
 * Leaked at the end: grow()'s line 3 x 4096 bytes in the old build and
 * 4 x 4096 in the new one; steady()'s line 3 x 100 bytes in both.
 */
#include <stdlib.h>

#ifdef HEAPTRAIL_EXTRA
#define ROUNDS 4
#else
#define ROUNDS 3
#endif

volatile int shift_sink;

#ifdef HEAPTRAIL_SHIFT
/* Never inlined, placed before the others: moves their code. */
__attribute__((noinline)) static void shift(void) {
  for (int i = 0; i < 64; ++i) shift_sink += i * shift_sink + 7;
}
#endif

static void* grown[ROUNDS];
static void* steady_blocks[3];

static void grow(void) {
  for (int i = 0; i < ROUNDS; ++i) grown[i] = malloc(4096); /* growing line */
}

static void steady(void) {
  for (int i = 0; i < 3; ++i) steady_blocks[i] = malloc(100); /* steady line */
}

int main(void) {
#ifdef HEAPTRAIL_SHIFT
  shift();
#endif
  grow();
  steady();
  return 0;
}
