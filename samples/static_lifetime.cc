// Allocations in static constructors (before main) and destructors (after
// main returns).
//
// Live at the end: 123 bytes at "static-constructor" (allocated before
// main), 456 bytes at "static-destructor" (allocated after main returned);
// the 789 bytes at "static-member" are freed by the destructor.

#include <stdio.h>
#include <stdlib.h>

namespace {

void* volatile sink;

struct Global {
  Global() {
    early = malloc(123);  // static-constructor
    member = malloc(789);  // static-member
  }
  ~Global() {
    free(member);
    sink = malloc(456);  // static-destructor
  }
  void* early;
  void* member;
};

Global global;

}  // namespace

int main() {
  printf("static_lifetime: %s\n", global.early != nullptr ? "constructed" : "not constructed");
  return 0;
}
