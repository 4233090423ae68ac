/* Linked statically (samples/CMakeLists.txt): no loader, no preload. It
 * allocates, prints and exits with 3, traced or not. */
#include <stdio.h>
#include <stdlib.h>

void* volatile sink;

int main(void) {
  sink = malloc(10);
  free(sink);
  printf("static_program: ran\n");
  return 3;
}
