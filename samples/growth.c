/* A steady leak among caches, for the growth ranking: 8 rounds, a snapshot
 * (heaptrail_snapshot) after each.
 *
 * leak(): 1024 bytes per round, never freed: 1 KiB at snapshot 1 up to
 *   8 KiB at snapshot 8 (+7168 bytes, grew in 7 of 7 intervals).
 * oscillate(): fills 16 x 512 bytes on even rounds, frees them on odd ones.
 * sawtooth(): one 256-byte block per round, all freed when it holds 4:
 *   1, 2, 3, 4, 1, 2, 3, 4 blocks (grew in 6 of 7 intervals, ended higher,
 *   but each flush gives back a whole fill).
 * Only leak()'s line is a growth suspect.
 */
#include <heaptrail/heaptrail.h>
#include <stdio.h>
#include <stdlib.h>

static void* cache[16];
static void* teeth[4];
static int teeth_count;
void* volatile sink;

static void leak(void) { sink = malloc(1024); /* leaking line */ }

static void oscillate(int round) {
  for (int i = 0; i < 16; ++i) {
    if (round % 2 == 0) {
      cache[i] = malloc(512); /* oscillating line */
    } else {
      free(cache[i]);
    }
  }
}

static void sawtooth(void) {
  if (teeth_count == 4) {
    for (int i = 0; i < 4; ++i) free(teeth[i]);
    teeth_count = 0;
  }
  teeth[teeth_count++] = malloc(256); /* sawtooth line */
}

int main(void) {
  for (int round = 0; round < 8; ++round) {
    leak();
    oscillate(round);
    sawtooth();
    char label[32];
    snprintf(label, sizeof(label), "round %d", round + 1);
    heaptrail_snapshot(label);
  }
  return 0;
}
