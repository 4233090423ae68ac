/* Makes glibc allocate blocks it keeps for the life of the process and
 * releases only in __libc_freeres: the stdout buffer, a user lookup through
 * NSS (libnss_files), a locale, the time zone, the loader's error string.
 * Its own: 4242 bytes kept at "kept-block". Under the tracker, as under
 * valgrind, only those are live at the end. */
#include <dlfcn.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void* volatile sink;

int main(void) {
  struct passwd* root = getpwuid(0);
  setlocale(LC_ALL, "C.UTF-8");
  tzset();
  time_t epoch = 0;
  char date[64];
  strftime(date, sizeof(date), "%Y-%m-%d", localtime(&epoch));
  void* missing = dlopen("libheaptrail-no-such-library.so", RTLD_NOW);
  printf("libc_blocks: %s %s %s\n", root != NULL ? root->pw_name : "?", date,
         missing == NULL && dlerror() != NULL ? "dlerror" : "?");
  sink = malloc(4242); /* kept-block */
  return 0;
}
