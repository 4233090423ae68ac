// Parking threads in a signal handler (see parked_threads.h).

#include "parked_threads.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "clock.h"
#include "proc_files.h"

namespace heaptrail::preload {
namespace {

constexpr size_t kMaxParked = 1024;
constexpr uint64_t kAnswerNs = 50 * 1000 * 1000;

constinit ParkedThread parked[kMaxParked] = {};
constinit std::atomic<uint32_t> slots_taken{0};
constinit std::atomic<uint32_t> arrived{0};
constinit std::atomic<uint32_t> released{0};
constinit int park_signal = 0;
constinit size_t sent_signals = 0;

long Futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

void OnPark(int, siginfo_t*, void* context) {
  int saved_errno = errno;
  uint32_t slot = slots_taken.fetch_add(1, std::memory_order_relaxed);
  if (slot < kMaxParked) {
    const greg_t* registers = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
    parked[slot].stack_pointer = static_cast<uint64_t>(registers[REG_RSP]);
    for (int i = 0; i < NGREG; ++i) parked[slot].registers[i] = registers[i];
  }
  // Matched by the acquire load in ParkOtherThreads().
  arrived.fetch_add(1, std::memory_order_release);
  Futex(&arrived, FUTEX_WAKE_PRIVATE, 1, nullptr);
  while (released.load(std::memory_order_acquire) == 0) {
    Futex(&released, FUTEX_WAIT_PRIVATE, 0, nullptr);
  }
  errno = saved_errno;
}

}  // namespace

const ParkedThread* ParkOtherThreads(size_t* count) {
  *count = 0;
  if (CountThreads() <= 1) return parked;
  int signo = SIGRTMAX - 1;
  struct sigaction current;
  if (sigaction(signo, nullptr, &current) != 0) return parked;
  bool ours = (current.sa_flags & SA_SIGINFO) != 0 && current.sa_sigaction == OnPark;
  if (!ours && ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_DFL)) {
    return parked;  // the program's: left alone
  }
  struct sigaction action = {};
  action.sa_sigaction = OnPark;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&action.sa_mask);
  if (sigaction(signo, &action, nullptr) != 0) return parked;
  park_signal = signo;
  sent_signals = 0;
  slots_taken.store(0, std::memory_order_relaxed);
  arrived.store(0, std::memory_order_relaxed);
  released.store(0, std::memory_order_relaxed);

  pid_t tids[kMaxParked];
  size_t sent = 0;
  size_t found = ThreadIds(tids, kMaxParked);
  pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  for (size_t i = 0; i < found; ++i) {
    if (tids[i] == self) continue;
    if (syscall(SYS_tgkill, getpid(), tids[i], signo) == 0) ++sent;
  }
  sent_signals = sent;
  uint64_t deadline = ReadClockNs(CLOCK_MONOTONIC) + kAnswerNs;
  while (true) {
    uint32_t seen = arrived.load(std::memory_order_acquire);
    uint64_t now = ReadClockNs(CLOCK_MONOTONIC);
    if (seen >= sent || now >= deadline) break;
    timespec wait = {0, static_cast<long>(deadline - now)};
    Futex(&arrived, FUTEX_WAIT_PRIVATE, seen, &wait);
  }
  uint32_t taken = arrived.load(std::memory_order_acquire);
  *count = taken < kMaxParked ? taken : kMaxParked;
  return parked;
}

void ReleaseParkedThreads() {
  if (park_signal == 0) return;
  // Matched by the acquire loads in OnPark().
  released.store(1, std::memory_order_release);
  Futex(&released, FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr);
  // Every signal sent was handled: the program gets the default action
  // back. Else one is still pending (blocked by its thread), and the
  // default action would end the process when it comes: the handler stays.
  if (arrived.load(std::memory_order_acquire) >= sent_signals) {
    struct sigaction default_action = {};
    default_action.sa_handler = SIG_DFL;
    sigaction(park_signal, &default_action, nullptr);
  }
  park_signal = 0;
}

}  // namespace heaptrail::preload
