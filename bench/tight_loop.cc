// tight_loop: the cheapest allocation traffic there is, malloc(32) then free,
// N times per thread, issued from under a 20-frame call stack in a binary
// built without frame pointers. It isolates the tracker's fixed cost per
// event (hook, DWARF stack capture and interning, buffering), which SPEC §7
// bounds at 3x the untracked run (heaptrack: 28-45x).
//
// Usage: tight_loop [ITERATIONS_PER_THREAD [THREADS]]
// Each thread makes ITERATIONS malloc calls and as many free calls. Prints
// one line, "events=E checksum=C", with E = 2 * ITERATIONS * THREADS; the
// runner checks E against its own count and C against the untracked run.

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

// Frames of our own between the thread's entry and the allocation call.
constexpr int kStackDepth = 20;
constexpr std::size_t kBlockSize = 32;
constexpr long kDefaultIterations = 2'000'000;

__attribute__((noinline)) uint64_t AllocFreeLoop(long iterations) {
  uint64_t checksum = 0;
  for (long i = 0; i < iterations; ++i) {
    auto* block = static_cast<unsigned char*>(std::malloc(kBlockSize));
    if (block == nullptr) std::abort();
    block[0] = static_cast<unsigned char>(i);
    // The pointer escapes to "memory the compiler cannot see": together with
    // -fno-builtin, this keeps the malloc/free pair from being elided.
    asm volatile("" : : "r"(block) : "memory");
    checksum += block[0];
    std::free(block);
  }
  return checksum;
}

// One real frame per level: noinline keeps GCC from flattening the
// recursion, and the asm after the call uses the result, so the call is not
// in tail position and cannot become a jump that reuses the frame.
__attribute__((noinline)) uint64_t Descend(int levels, long iterations) {
  uint64_t result =
      levels <= 1 ? AllocFreeLoop(iterations) : Descend(levels - 1, iterations);
  asm volatile("" : "+r"(result) : : "memory");
  return result;
}

bool ParsePositive(const char* text, long* value) {
  char* end = nullptr;
  errno = 0;
  long parsed = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || parsed <= 0) return false;
  *value = parsed;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = kDefaultIterations;
  long threads = 1;
  if (argc > 3 || (argc > 1 && !ParsePositive(argv[1], &iterations)) ||
      (argc > 2 && !ParsePositive(argv[2], &threads))) {
    std::fprintf(stderr, "usage: %s [ITERATIONS_PER_THREAD [THREADS]]\n",
                 argv[0]);
    return 2;
  }

  // Every configuration runs its loops on spawned threads, so 1 and 2
  // threads pay the same start-up and see the same stack above Descend.
  std::vector<uint64_t> checksums(threads);
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (long t = 0; t < threads; ++t) {
    workers.emplace_back([&checksums, t, iterations] {
      checksums[t] = Descend(kStackDepth - 1, iterations);
    });
  }
  for (std::thread& worker : workers) worker.join();

  uint64_t checksum = 0;
  for (uint64_t value : checksums) checksum += value;
  std::printf("events=%ld checksum=%" PRIu64 "\n", 2 * iterations * threads,
              checksum);
  return 0;
}
