/* A second library, loaded after plugin_first is unloaded (most likely at
 * the same address): its blocks must not be attributed to the first. */
#include <stdlib.h>

void* plugin_allocate(size_t size) {
  void* block = calloc(1, size); /* second-plugin-allocation */
  return block;
}
