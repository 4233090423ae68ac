// SafeCopy's fault recovery, and the residency walk (see safe_read.h).

#include "safe_read.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <atomic>

namespace heaptrail::preload {

// bool heaptrail_safe_copy(void* destination, const void* source, size_t size):
// one `rep movsb`; a fault on it resumes at the fixup, which returns false.
extern "C" bool heaptrail_safe_copy(void* destination, const void* source, size_t size);
extern "C" char heaptrail_safe_copy_access[];
extern "C" char heaptrail_safe_copy_fixup[];
asm(R"(
  .text
  .p2align 4
  .type heaptrail_safe_copy, @function
heaptrail_safe_copy:
  movq %rdx, %rcx
heaptrail_safe_copy_access:
  rep movsb
  movl $1, %eax
  ret
heaptrail_safe_copy_fixup:
  xorl %eax, %eax
  ret
  .size heaptrail_safe_copy, .-heaptrail_safe_copy
)");

namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kResidencyPages = 4096;  // per mincore() call

constinit struct sigaction saved_segv = {};
constinit struct sigaction saved_bus = {};
constinit std::atomic<bool> guard_installed{false};

void OnFault(int signal, siginfo_t*, void* context) {
  auto* registers = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
  if (registers[REG_RIP] == reinterpret_cast<greg_t>(heaptrail_safe_copy_access)) {
    registers[REG_RIP] = reinterpret_cast<greg_t>(heaptrail_safe_copy_fixup);
    return;
  }
  // Not ours (another thread still running at exit): the program's handler
  // takes this fault when the instruction runs again; SafeCopy puts ours
  // back before its next read.
  sigaction(signal, signal == SIGSEGV ? &saved_segv : &saved_bus, nullptr);
  guard_installed.store(false, std::memory_order_relaxed);
}

void Install() {
  struct sigaction action = {};
  action.sa_sigaction = OnFault;
  action.sa_flags = SA_SIGINFO;
  sigfillset(&action.sa_mask);
  sigaction(SIGSEGV, &action, nullptr);
  sigaction(SIGBUS, &action, nullptr);
  guard_installed.store(true, std::memory_order_relaxed);
}

}  // namespace

ScopedFaultGuard::ScopedFaultGuard() {
  sigaction(SIGSEGV, nullptr, &saved_segv);
  sigaction(SIGBUS, nullptr, &saved_bus);
  Install();
}

ScopedFaultGuard::~ScopedFaultGuard() {
  guard_installed.store(false, std::memory_order_relaxed);
  sigaction(SIGSEGV, &saved_segv, nullptr);
  sigaction(SIGBUS, &saved_bus, nullptr);
}

bool SafeCopy(void* destination, uint64_t source, size_t size) {
  if (!guard_installed.load(std::memory_order_relaxed)) Install();
  return heaptrail_safe_copy(destination, reinterpret_cast<const void*>(source), size);
}

void ForEachResidentRun(uint64_t begin, uint64_t end, void (*visit)(uint64_t, uint64_t, void*),
                        void* context) {
  static unsigned char resident[kResidencyPages];
  for (uint64_t page = begin & ~(kPage - 1); page < end;) {
    uint64_t batch_end = page + kResidencyPages * kPage;
    if (batch_end > end || batch_end < page) batch_end = end;
    size_t pages = (batch_end - page + kPage - 1) / kPage;
    if (mincore(reinterpret_cast<void*>(page), pages * kPage, resident) != 0) {
      visit(page < begin ? begin : page, batch_end, context);  // let SafeCopy decide
      page += pages * kPage;
      continue;
    }
    for (size_t i = 0; i < pages;) {
      if ((resident[i] & 1) == 0) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < pages && (resident[j] & 1) != 0) ++j;
      uint64_t run_begin = page + i * kPage, run_end = page + j * kPage;
      if (run_begin < begin) run_begin = begin;
      if (run_end > end) run_end = end;
      visit(run_begin, run_end, context);
      i = j;
    }
    page += pages * kPage;
  }
}

}  // namespace heaptrail::preload
