/* fork while three threads allocate and free without pause: neither the
 * parent nor the children may hang, and each followed child's trace holds
 * its own blocks only.
 *
 * The parent forks 20 children, one after the other. Each child allocates
 * 5 x 100 bytes (leaked), runs a thread that allocates and frees for 1 ms
 * after its first round, and exits 0. The parent prints "fork_threads: done" and exits 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kThreads = 3, kChildren = 20 };

static atomic_int stop;
static atomic_int churned;  /* rounds of churn() so far */
void* volatile sink;

static void* churn(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    void* p = malloc(48);
    sink = p;
    free(p);
    atomic_fetch_add(&churned, 1);
  }
  return NULL;
}

static int child(void) {
  for (int i = 0; i < 5; ++i) sink = malloc(100); /* child's leak */
  pthread_t thread;
  atomic_store(&churned, 0);
  if (pthread_create(&thread, NULL, churn, NULL) != 0) return 1;
  while (atomic_load(&churned) == 0) usleep(100);  /* it has a trace thread */
  usleep(1000);
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  return 0;
}

int main(void) {
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) pthread_create(&threads[i], NULL, churn, NULL);
  for (int i = 0; i < kChildren; ++i) {
    pid_t pid = fork();
    if (pid == 0) exit(child());
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
  printf("fork_threads: done\n");
  return 0;
}
