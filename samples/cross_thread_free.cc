// Blocks allocated on one thread and freed on another, with heavy address
// reuse across threads: the trace is only right if the analyzer rebuilds the
// true order (a free on one thread before the malloc that reuses its address
// on another). Threads start and exit in waves, mid-run.
//
// Totals (beyond `empty`): kWaves * kProducers * kBlocksPerProducer
// allocations of 48 bytes (= 3 * 4 * 20000 = 240000 blocks, 11520000 bytes),
// all freed; the queue itself uses no heap (a fixed ring).

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kWaves = 3;
constexpr int kProducers = 4;
constexpr int kConsumers = 2;
constexpr int kBlocksPerProducer = 20000;
constexpr size_t kBlockSize = 48;

// A bounded multi-producer multi-consumer ring of pointers, lock-free.
class Ring {
 public:
  bool Push(void* ptr) {
    size_t tail = tail_.load();
    for (;;) {
      Slot& slot = slots_[tail % kSize];
      size_t seq = slot.seq.load(std::memory_order_acquire);
      if (seq == tail) {
        if (tail_.compare_exchange_weak(tail, tail + 1)) {
          slot.ptr = ptr;
          slot.seq.store(tail + 1, std::memory_order_release);
          return true;
        }
      } else if (seq < tail) {
        return false;  // full
      } else {
        tail = tail_.load();
      }
    }
  }
  void* Pop() {
    size_t head = head_.load();
    for (;;) {
      Slot& slot = slots_[head % kSize];
      size_t seq = slot.seq.load(std::memory_order_acquire);
      if (seq == head + 1) {
        if (head_.compare_exchange_weak(head, head + 1)) {
          void* ptr = slot.ptr;
          slot.seq.store(head + kSize, std::memory_order_release);
          return ptr;
        }
      } else if (seq < head + 1) {
        return nullptr;  // empty
      } else {
        head = head_.load();
      }
    }
  }
  Ring() {
    for (size_t i = 0; i < kSize; ++i) slots_[i].seq.store(i);
  }

 private:
  static constexpr size_t kSize = 1024;
  struct Slot {
    std::atomic<size_t> seq;
    void* ptr;
  };
  Slot slots_[kSize];
  std::atomic<size_t> head_{0};
  std::atomic<size_t> tail_{0};
};

Ring ring;
std::atomic<int> producers_running{0};

void Produce() {
  for (int i = 0; i < kBlocksPerProducer; ++i) {
    void* block = malloc(kBlockSize);
    static_cast<volatile char*>(block)[0] = 1;
    while (!ring.Push(block)) std::this_thread::yield();
  }
  producers_running.fetch_sub(1);
}

void Consume() {
  for (;;) {
    void* block = ring.Pop();
    if (block != nullptr) {
      free(block);
    } else if (producers_running.load() == 0) {
      if ((block = ring.Pop()) == nullptr) return;
      free(block);
    } else {
      std::this_thread::yield();
    }
  }
}

}  // namespace

int main() {
  for (int wave = 0; wave < kWaves; ++wave) {
    producers_running.store(kProducers);
    // std::thread allocates its state with new: those allocations are the
    // runtime's, counted separately by the test (kWaves * 6 of them).
    std::thread threads[kProducers + kConsumers];
    for (int i = 0; i < kProducers; ++i) threads[i] = std::thread(Produce);
    for (int i = 0; i < kConsumers; ++i) threads[kProducers + i] = std::thread(Consume);
    for (auto& thread : threads) thread.join();
  }
  static const char kDone[] = "cross_thread_free: done\n";
  return write(STDOUT_FILENO, kDone, sizeof(kDone) - 1) < 0;
}
