/* Snapshots while four threads allocate and free without pause, for the
 * consistency of the cut across threads.
 *
 * Thread t (0..3) keeps a ring of 16 blocks of 64 * (t + 1) bytes, all from
 * its own line, and replaces one block at a time (free, then malloc): at
 * every instant its line holds 15 or 16 blocks. The threads also pass a
 * baton around: its holder allocates a new 4000-byte baton, frees the old
 * one and hands the new one to the next thread, so at every instant 1 or 2
 * batons are live, and each is freed on another thread than the one that
 * allocated it. The main thread takes 24 snapshots (the snapshot signal
 * sent to the process, and the API in turn) 1 ms apart, then stops the
 * threads, frees everything and exits 0.
 */
#include <heaptrail/heaptrail.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

enum { kThreads = 4, kRing = 16, kSnapshots = 24 };

static atomic_int ready;
static atomic_int stop;
static void* rings[kThreads][kRing];
static atomic_int baton_holder;
static void* baton;

static void* allocate(int thread) {
  size_t size = 64 * (size_t)(thread + 1);
  switch (thread) {
    case 0:
      return malloc(size); /* thread 0 line */
    case 1:
      return malloc(size); /* thread 1 line */
    case 2:
      return malloc(size); /* thread 2 line */
    default:
      return malloc(size); /* thread 3 line */
  }
}

static void* run(void* arg) {
  int thread = (int)(long)arg;
  void** ring = rings[thread];
  for (int i = 0; i < kRing; ++i) ring[i] = allocate(thread);
  atomic_fetch_add(&ready, 1);
  for (unsigned step = 0; !atomic_load(&stop); ++step) {
    free(ring[step % kRing]);
    ring[step % kRing] = allocate(thread);
    if (atomic_load_explicit(&baton_holder, memory_order_acquire) == thread) {
      void* next = malloc(4000); /* baton line */
      free(baton);
      baton = next;
      atomic_store_explicit(&baton_holder, (thread + 1) % kThreads, memory_order_release);
    }
  }
  return NULL;
}

int main(void) {
  baton = malloc(4000); /* first baton */
  pthread_t threads[kThreads];
  for (long t = 0; t < kThreads; ++t) pthread_create(&threads[t], NULL, run, (void*)t);
  while (atomic_load(&ready) < kThreads) usleep(100);
  for (int i = 0; i < kSnapshots; ++i) {
    if (i % 2 == 0) {
      kill(getpid(), SIGUSR2); /* handled by whichever thread the kernel picks */
    } else {
      heaptrail_snapshot("api");
    }
    usleep(1000);
  }
  atomic_store(&stop, 1);
  for (int t = 0; t < kThreads; ++t) pthread_join(threads[t], NULL);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kRing; ++i) free(rings[t][i]);
  }
  free(baton);
  return 0;
}
