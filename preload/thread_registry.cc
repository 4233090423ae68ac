// ThreadRegistry: claim by CAS on a free state, or push a new one.

#include "thread_registry.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <new>

#include "private_heap.h"

namespace heaptrail::preload {

ThreadState* ThreadRegistry::Claim(uint64_t tick, size_t buffer_capacity) {
  ThreadState* state = nullptr;
  for (ThreadState* s = first(); s != nullptr; s = s->next) {
    ThreadStatus expected = ThreadStatus::kFree;
    // Matched by the release store of kFree in the writer, after it drained
    // the state: the buffer is empty and the writer is done with it.
    if (s->status.compare_exchange_strong(expected, ThreadStatus::kClaiming,
                                          std::memory_order_acquire)) {
      state = s;
      break;
    }
  }
  if (state == nullptr) {
    void* memory = AllocatePages(sizeof(ThreadState));
    if (memory == nullptr) return nullptr;
    state = new (memory) ThreadState;
    if (!state->buffer.Init(buffer_capacity)) return nullptr;
    state->status.store(ThreadStatus::kClaiming, std::memory_order_relaxed);
    ThreadState* head = head_.load(std::memory_order_relaxed);
    do {
      state->next = head;
      // Matched by the acquire load in first().
    } while (!head_.compare_exchange_weak(head, state, std::memory_order_release,
                                          std::memory_order_relaxed));
  }
  state->previous_tick = 0;
  state->previous_address = 0;
  state->stack_cache.Reset();
  state->index = next_index_.fetch_add(1, std::memory_order_relaxed);
  state->os_tid = gettid();
  state->start_tick = tick;
  state->name[0] = '\0';
  state->stack_address = 0;
  state->announced = false;
  state->rows_only = false;
  state->columns.Reset();
  state->live_tick = 0;
  state->live_address = 0;
  // Matched by the acquire load in the writer's round: it sees the fields above.
  state->status.store(ThreadStatus::kActive, std::memory_order_release);
  return state;
}

void ThreadRegistry::KeepOnlyAfterFork(ThreadState* self, uint64_t tick) {
  for (ThreadState* s = first(); s != nullptr; s = s->next) {
    s->buffer.Reset();
    s->end_written = false;
    if (s != self) {
      s->columns.Reset();  // the parent writes what it held
      s->status.store(ThreadStatus::kFree, std::memory_order_relaxed);
      continue;
    }
    s->previous_tick = 0;
    s->previous_address = 0;
    s->os_tid = gettid();
    s->start_tick = tick;
    s->announced = false;
    s->rows_only = false;
    s->columns.Reset();
    s->live_tick = 0;
    s->live_address = 0;
  }
}

void ThreadRegistry::Retire(ThreadState* state) {
  prctl(PR_GET_NAME, state->name);
  // Matched by the acquire load in the writer's round.
  state->status.store(ThreadStatus::kRetired, std::memory_order_release);
}

}  // namespace heaptrail::preload
