/* A library that allocates, loaded and unloaded by dlopen_unload. */
#include <stdlib.h>

void* plugin_allocate(size_t size) {
  return malloc(size); /* first-plugin-allocation */
}
