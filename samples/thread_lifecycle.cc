// Threads that start and exit while others run, each with a thread-local
// object whose constructor and destructor allocate.
//
// Each of the 12 threads (three waves of 4; a wave starts while the previous
// one still runs): the thread-local Holder's constructor allocates 64 bytes
// (new[], freed by its destructor), the body allocates and frees 100 bytes,
// and the destructor, which runs as the thread exits, allocates 1000 + i
// bytes that stay live to the end (kept in `kept`).
// Live at the end: 12 blocks, 12066 bytes, all at the line marked
// "tls-destructor-allocation".

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <atomic>

namespace {

constexpr int kWaves = 3;
constexpr int kPerWave = 4;
constexpr int kThreads = kWaves * kPerWave;

void* kept[kThreads];
void* volatile sink;

class Holder {
 public:
  Holder() : data_(new char[64]) {}
  ~Holder() {
    delete[] data_;
    kept[index_] = malloc(1000 + index_);  // tls-destructor-allocation
  }
  void set_index(int index) { index_ = index; }

 private:
  char* data_;
  int index_ = 0;
};

thread_local Holder holder;

void* Body(void* argument) {
  int index = static_cast<int>(reinterpret_cast<long>(argument));
  holder.set_index(index);
  sink = malloc(100);
  free(sink);
  return nullptr;
}

}  // namespace

int main() {
  pthread_t threads[kThreads];
  for (int wave = 0; wave < kWaves; ++wave) {
    for (int i = 0; i < kPerWave; ++i) {
      long index = wave * kPerWave + i;
      pthread_create(&threads[index], nullptr, Body, reinterpret_cast<void*>(index));
    }
    // The previous wave exits while this one runs.
    if (wave > 0) {
      for (int i = 0; i < kPerWave; ++i) pthread_join(threads[(wave - 1) * kPerWave + i], nullptr);
    }
  }
  for (int i = 0; i < kPerWave; ++i) pthread_join(threads[(kWaves - 1) * kPerWave + i], nullptr);
  long total = 0;
  for (int i = 0; i < kThreads; ++i) total += kept[i] != nullptr;
  printf("thread_lifecycle: %ld destructors allocated\n", total);
  return 0;
}
