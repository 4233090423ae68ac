/* fork then exec: the child execs this same program with an argument, and
 * that run allocates 2 x 77 bytes (leaked) and exits.
 *
 * Parent (beyond `empty`): malloc(111), leaked. The forked child execs at
 * once (no allocation). The exec'd program (beyond `empty`): 2 allocations,
 * 154 bytes, leaked.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void* volatile sink;

int main(int argc, char** argv) {
  if (argc > 1) {
    for (int i = 0; i < 2; ++i) sink = malloc(77);
    return 0;
  }
  sink = malloc(111);
  pid_t child = fork();
  if (child == 0) {
    execl("/proc/self/exe", argv[0], "exec'd", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  static const char kDone[] = "fork_exec: done\n";
  if (write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
