/* A program that sandboxes itself as browsers' renderers do: once a
 * seccomp filter is in place, opening a file kills the process
 * (SECCOMP_RET_KILL_PROCESS for open, openat, readlink and readlinkat).
 * Then it allocates 100000 temporary blocks and keeps 3333 bytes at
 * "sandboxed-block", and exits normally: the tracker must record all of it
 * without opening anything. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

void* volatile sink;

static int ForbidOpeningFiles(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_readlink, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_readlinkat, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  struct sock_fprog program = {sizeof(filter) / sizeof(filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}

int main(void) {
  printf("seccomp_sandbox: %s\n", ForbidOpeningFiles() == 0 ? "sandboxed" : "no filter");
  fflush(stdout);
  for (int i = 0; i < 100000; ++i) free(malloc(i % 300 + 1)); /* sandboxed-temporary */
  sink = malloc(3333); /* sandboxed-block */
  printf("seccomp_sandbox: done\n");
  return 0;
}
