/* Loads liblate_free.so (argv[1]) into a new link-map namespace with
 * dlmopen: the library gets a libc of its own, whose malloc the preload
 * does not interpose (LD_PRELOAD reaches the first namespace only), so its
 * blocks are not recorded; the program's own 5 blocks of 50 bytes at
 * "main-namespace-block" are, and both run unharmed to exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void* volatile sink;

int main(int argc, char** argv) {
  void* library = argc == 2 ? dlmopen(LM_ID_NEWLM, argv[1], RTLD_NOW) : NULL;
  if (library == NULL) {
    fprintf(stderr, "usage: dlmopen_namespace LIBRARY: %s\n", argc == 2 ? dlerror() : "");
    return 1;
  }
  ((void (*)(void))dlsym(library, "LateFreeKeep"))();
  for (int i = 0; i < 5; ++i) sink = malloc(50); /* main-namespace-block */
  printf("dlmopen_namespace: done\n");
  return 0;
}
