/* dlopen/dlclose of libraries that allocate, unloaded before their blocks
 * are freed. argv[1] and argv[2]: paths of plugin_first and plugin_second.
 *
 * plugin_first allocates 3 blocks of 300 bytes and is unloaded; then one is
 * freed: 2 blocks, 600 bytes live at the end, at plugin_first.c's line
 * "first-plugin-allocation". plugin_second, loaded next (likely where the
 * first was), allocates 77 bytes and is unloaded too: 1 block, 77 bytes at
 * plugin_second.c's "second-plugin-allocation".
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void* (*Allocate)(size_t);

static void* blocks[4];

static int Use(const char* path, int first, int count, size_t size) {
  void* library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "dlopen_unload: %s\n", dlerror());
    return 0;
  }
  Allocate allocate = (Allocate)dlsym(library, "plugin_allocate");
  for (int i = 0; i < count; ++i) blocks[first + i] = allocate(size);
  dlclose(library);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: dlopen_unload PLUGIN_FIRST PLUGIN_SECOND\n");
    return 2;
  }
  if (!Use(argv[1], 0, 3, 300)) return 1;
  free(blocks[1]);
  if (!Use(argv[2], 3, 1, 77)) return 1;
  printf("dlopen_unload: done\n");
  return 0;
}
