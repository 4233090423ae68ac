/* A child process created four ways, chosen by argv[1]: "fork" (the child
 * allocates and _exits without exec), "fork_exec", "vfork" (exec) and
 * "posix_spawn"; argv[2] is the program the exec'ing modes run.
 *
 * The parent allocates 111 bytes before and 222 after the child, both live
 * at the end (lines "parent-before" and "parent-after"). A forked child
 * without exec allocates 5000 bytes ("child-allocation"), never in the
 * parent's trace. Prints the child's exit status.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;
void* volatile sink;

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: process_spawn fork|fork_exec|vfork|posix_spawn PROGRAM\n");
    return 2;
  }
  const char* mode = argv[1];
  char* child_argv[] = {argv[2], NULL};
  sink = malloc(111); /* parent-before */
  pid_t pid = -1;
  if (strcmp(mode, "fork") == 0) {
    pid = fork();
    if (pid == 0) {
      sink = malloc(5000); /* child-allocation */
      _exit(3);
    }
  } else if (strcmp(mode, "fork_exec") == 0) {
    pid = fork();
    if (pid == 0) {
      execv(argv[2], child_argv);
      _exit(127);
    }
  } else if (strcmp(mode, "vfork") == 0) {
    pid = vfork();
    if (pid == 0) {
      execv(argv[2], child_argv);
      _exit(127);
    }
  } else if (strcmp(mode, "posix_spawn") == 0) {
    if (posix_spawn(&pid, argv[2], NULL, NULL, child_argv, environ) != 0) pid = -1;
  }
  if (pid < 0) {
    fprintf(stderr, "process_spawn: cannot start a child (%s)\n", mode);
    return 2;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  sink = malloc(222); /* parent-after */
  printf("process_spawn %s: child exited %d\n", mode, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
