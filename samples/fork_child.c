/* fork without exec: the parent's trace holds only the parent's blocks, and a
 * child that is not followed writes nothing to it.
 *
 * Parent (beyond `empty`): 2 allocations, malloc(111) before the fork and
 * malloc(333) after, both leaked (444 bytes).
 * Child: 3 x malloc(222), leaked; not in the parent's trace.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void* volatile sink;

int main(void) {
  sink = malloc(111);
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 3; ++i) sink = malloc(222);
    exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  sink = malloc(333);
  static const char kDone[] = "fork_child: done\n";
  if (write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
