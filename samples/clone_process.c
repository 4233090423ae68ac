/* Children made without fork(), and a program that must stay
 * single-threaded: what the tracker must survive unseen.
 *
 * clone_process clone   glibc's clone() without CLONE_VM (Chromium's way):
 *                       no atfork handler runs; the child allocates 100000
 *                       temporary blocks and keeps 4321 bytes at
 *                       "clone-child-block", then returns 7
 * clone_process raw     the clone system call used as fork (clone3 through
 *                       syscall() would be the same): the child allocates
 *                       as much and calls exit(7)
 * clone_process vm      clone(CLONE_VM | CLONE_VFORK): the child shares the
 *                       parent's heap, keeps 555 bytes at "vm-child-block"
 *                       and returns 7
 * clone_process single  checks that it has one thread, as Chromium's zygote
 *                       does (/proc/self/task links: ".", ".." and itself)
 *
 * The parent keeps 10 blocks of 10 bytes at "parent-block" and prints the
 * child's exit status (or the thread check's result). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void* volatile sink;

static void AllocateInChild(void) {
  for (int i = 0; i < 100000; ++i) free(malloc(100));
  sink = malloc(4321); /* clone-child-block */
}

static int CloneChild(void* argument) {
  (void)argument;
  AllocateInChild();
  return 7;
}

static int VmChild(void* argument) {
  (void)argument;
  sink = malloc(555); /* vm-child-block */
  return 7;
}

static int Report(pid_t pid) {
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
  printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}

int main(int argc, char** argv) {
  for (int i = 0; i < 10; ++i) sink = malloc(10); /* parent-block */
  static char stack[1 << 20];
  const char* mode = argc == 2 ? argv[1] : "";
  if (strcmp(mode, "clone") == 0) {
    return Report(clone(CloneChild, stack + sizeof(stack), SIGCHLD, NULL));
  }
  if (strcmp(mode, "raw") == 0) {
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
      AllocateInChild();
      exit(7);
    }
    return Report(pid);
  }
  if (strcmp(mode, "vm") == 0) {
    return Report(clone(VmChild, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL));
  }
  if (strcmp(mode, "single") == 0) {
    struct stat task;
    if (stat("/proc/self/task", &task) != 0) return 1;
    printf("%s\n", task.st_nlink == 3 ? "single-threaded" : "more than one thread");
    return 0;
  }
  fprintf(stderr, "usage: clone_process clone|raw|vm|single\n");
  return 2;
}
