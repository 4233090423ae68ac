/* measure_exec: runs one program and reports its max RSS and CPU time, for
 * run_benchmarks.py.
 *
 * Why not measure from Python directly: Linux keeps a process's max RSS
 * across exec, so a child forked from the Python runner starts with Python's
 * RSS (~10 MiB) as a floor, above the untracked workloads' whole footprint.
 * This helper is plain C with a tiny footprint, so the floor it passes on is
 * well below anything measured. It also applies the environment settings
 * (LD_PRELOAD among them) to the child only: the helper itself must not be
 * traced.
 *
 * Usage: measure_exec RESULT_FILE [NAME=VALUE...] -- PROGRAM [ARGS...]
 * Writes "max_rss_kib user_s system_s exit_status signal" to RESULT_FILE,
 * from wait4 on the child (which covers the children it waited for, e.g.
 * heaptrack's interpreter); signal is 0 unless the child was killed by one.
 * Exits with the child's status (128 + N if killed by signal N), or 127
 * without a RESULT_FILE when it cannot start the program.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int separator = 2;
  while (separator < argc && strcmp(argv[separator], "--") != 0) ++separator;
  if (argc < 4 || separator >= argc - 1) {
    fprintf(stderr,
            "usage: %s RESULT_FILE [NAME=VALUE...] -- PROGRAM [ARGS...]\n",
            argv[0]);
    return 127;
  }

  pid_t child = fork();
  if (child < 0) {
    perror("measure_exec: fork");
    return 127;
  }
  if (child == 0) {
    for (int i = 2; i < separator; ++i) {
      if (putenv(argv[i]) != 0) _exit(127);
    }
    execvp(argv[separator + 1], &argv[separator + 1]);
    fprintf(stderr, "measure_exec: cannot run %s: %m\n", argv[separator + 1]);
    _exit(127);
  }

  int status = 0;
  struct rusage usage;
  if (wait4(child, &status, 0, &usage) != child) {
    perror("measure_exec: wait4");
    return 127;
  }
  FILE* result = fopen(argv[1], "w");
  if (result == NULL ||
      fprintf(result, "%ld %ld.%06ld %ld.%06ld %d %d\n", usage.ru_maxrss,
              (long)usage.ru_utime.tv_sec, (long)usage.ru_utime.tv_usec,
              (long)usage.ru_stime.tv_sec, (long)usage.ru_stime.tv_usec,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0) < 0 ||
      fclose(result) != 0) {
    perror("measure_exec: writing the result");
    return 127;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
