/* A library whose destructor frees blocks allocated earlier, as libtasn1's
 * does through gnutls: loaded as a dependency (late_exit) or with dlopen and
 * never closed (late_exit dlopen), its destructor runs after the tracker's.
 *
 * Live at the end: nothing of "late-lib-constructor" (3 x 1001 bytes, freed
 * by the destructor) nor of "late-lib-early" (the caller's 4 x 1500 bytes,
 * freed by the destructor); 2002 bytes at "late-lib-destructor". */

#include <stdlib.h>

static void* from_constructor[3];
static void* from_caller[4];
void* volatile late_free_sink;

__attribute__((constructor)) static void Construct(void) {
  for (int i = 0; i < 3; ++i) from_constructor[i] = malloc(1001); /* late-lib-constructor */
}

/* Called by the program before it exits. */
void LateFreeKeep(void) {
  for (int i = 0; i < 4; ++i) from_caller[i] = malloc(1500); /* late-lib-early */
}

__attribute__((destructor)) static void Destruct(void) {
  for (int i = 0; i < 3; ++i) free(from_constructor[i]);
  for (int i = 0; i < 4; ++i) free(from_caller[i]);
  late_free_sink = malloc(2002); /* late-lib-destructor */
}
