/* A program hostile to descriptors it does not own. argv[1]: "close_all"
 * (closes every descriptor above stderr, as daemons do) or "dup2" (dup2's
 * its own file, argv[2], over the numbers 3 to 16 and 1000 - the trace
 * file's - and writes to it through descriptor 1000).
 *
 * 10 blocks of 100 bytes are allocated before and 10 of 200 after
 * ("before-descriptors", "after-descriptors"), all live at the end. The
 * dup2 mode prints what its file holds at the end: exactly what it wrote.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void* kept[20];

/* usleep: let the writer write chunks meanwhile. */
static void AllocateBefore(void) {
  for (int i = 0; i < 10; ++i) {
    kept[i] = malloc(100); /* before-descriptors */
    usleep(20000);
  }
}

static void AllocateAfter(void) {
  for (int i = 10; i < 20; ++i) {
    kept[i] = malloc(200); /* after-descriptors */
    usleep(20000);
  }
}

int main(int argc, char** argv) {
  if (argc < 2 || (strcmp(argv[1], "dup2") == 0 && argc < 3)) {
    fprintf(stderr, "usage: fd_hostile close_all | fd_hostile dup2 FILE\n");
    return 2;
  }
  AllocateBefore();
  if (strcmp(argv[1], "close_all") == 0) {
    for (int fd = 3; fd < 65536; ++fd) close(fd);
    AllocateAfter();
    printf("fd_hostile: closed all\n");
    return 0;
  }
  int own = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (own < 0) return 1;
  for (int fd = 3; fd <= 16; ++fd) {
    if (fd != own) dup2(own, fd);
  }
  dup2(own, 1000);
  static const char kText[] = "the program's own data\n";
  if (write(1000, kText, sizeof(kText) - 1) != (ssize_t)sizeof(kText) - 1) return 1;
  AllocateAfter();
  char content[256] = {0};
  ssize_t n = pread(own, content, sizeof(content) - 1, 0);
  printf("fd_hostile: file holds %zd bytes: %s", n, content);
  return 0;
}
