/* Allocations and frees at every stage of exit that runs after the
 * tracker's destructor (see docs/design.md, "Exit"):
 * - liblate_free.so's destructor (late_free_lib.c), the library loaded as a
 *   dependency (late_exit) or with dlopen and never closed
 *   (late_exit_dlopen LIB);
 * - liblate_statics.so's static and thread_local destructors
 *   (late_statics_lib.cc);
 * - exit handlers registered from .preinit_array, before any library's
 *   constructor, the tracker's included: one by atexit (in a PIE program it
 *   runs in the program's __cxa_finalize), one without a DSO, as a non-PIE
 *   program's atexit registers it: that one runs after every library's
 *   destructor, once the tracker's last flush is done.
 *
 * Live at the end, besides what the libraries' headers say: 5005 bytes at
 * "early-atexit-kept" and 7007 bytes at "early-handler-kept"; nothing of
 * "early-atexit-temporary" (6006 bytes) nor of "early-handler-temporary"
 * (8008 bytes). */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int LateStaticsFill(void);
void LateFreeKeep(void);
void* volatile early_sink;

int __cxa_atexit(void (*function)(void*), void* argument, void* dso_handle);

static void EarlyHandler(void) {
  free(malloc(6006)); /* early-atexit-temporary */
  early_sink = malloc(5005); /* early-atexit-kept */
}

static void EarlyHandlerWithoutDso(void* argument) {
  (void)argument;
  free(malloc(8008)); /* early-handler-temporary */
  early_sink = malloc(7007); /* early-handler-kept */
  /* Under the tracker, glibc's __libc_freeres ran before: stdio still works. */
  printf("late_exit: last handler\n");
}

static void RegisterEarly(int argc, char** argv, char** envp) {
  (void)argc, (void)argv, (void)envp;
  atexit(EarlyHandler);
  __cxa_atexit(EarlyHandlerWithoutDso, NULL, NULL);
}

__attribute__((section(".preinit_array"), used)) static void (*register_early)(int, char**, char**) =
    RegisterEarly;

int main(int argc, char** argv) {
#ifdef LATE_FREE_BY_DLOPEN
  void* library = argc == 2 ? dlopen(argv[1], RTLD_NOW) : NULL;
  if (library == NULL) {
    fprintf(stderr, "usage: late_exit_dlopen LIBRARY: %s\n", argc == 2 ? dlerror() : "");
    return 1;
  }
  ((void (*)(void))dlsym(library, "LateFreeKeep"))();
#else
  (void)argc, (void)argv;
  LateFreeKeep();
#endif
  printf("late_exit: %d entries\n", LateStaticsFill());
  return 0;
}
