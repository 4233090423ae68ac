// MappedFile: mmap, and the SIGBUS guard around reads of the mapping.

#include "trace/mapped_file.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace heaptrail::analyzer {
namespace {

// What the faulting thread was reading, and where to jump back to.
struct Guard {
  sigjmp_buf jump;
  const uint8_t* begin;
  const uint8_t* end;
};

thread_local Guard* current_guard = nullptr;
struct sigaction previous_action;  // written once, before the handler runs

void OnSigbus(int signal, siginfo_t* info, void* context) {
  Guard* const guard = current_guard;
  const auto* address = static_cast<const uint8_t*>(info->si_addr);
  if (guard != nullptr && address >= guard->begin && address < guard->end) {
    siglongjmp(guard->jump, 1);
  }
  // Not a read of ours: as if this handler were not there.
  if ((previous_action.sa_flags & SA_SIGINFO) != 0) {
    previous_action.sa_sigaction(signal, info, context);
  } else if (previous_action.sa_handler != SIG_DFL &&
             previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal);
  } else {
    // The faulting access runs again, and gets the default action.
    ::signal(SIGBUS, SIG_DFL);
  }
}

void InstallHandlerOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action = {};
    action.sa_sigaction = OnSigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
  });
}

}  // namespace

MappedFile::MappedFile(int fd, uint64_t size) {
  if (size == 0) return;
  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (address == MAP_FAILED) return;
  InstallHandlerOnce();
  bytes_ = {static_cast<const uint8_t*>(address), static_cast<size_t>(size)};
}

MappedFile::~MappedFile() {
  if (mapped()) ::munmap(const_cast<uint8_t*>(bytes_.data()), bytes_.size());
}

void MappedFile::ReleaseBefore(uint64_t offset) {
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t end = std::min<uint64_t>(offset, bytes_.size()) / page * page;
  if (!mapped() || end <= released_) return;
  ::madvise(const_cast<uint8_t*>(bytes_.data()) + released_, end - released_,
            MADV_DONTNEED);
  released_ = end;
}

bool MappedFile::Read(absl::FunctionRef<void()> read) const {
  if (!mapped()) {
    read();
    return true;
  }
  Guard guard;
  guard.begin = bytes_.data();
  guard.end = bytes_.data() + bytes_.size();
  Guard* const outer = current_guard;
  // The signal mask is saved too: the jump leaves the handler, in which
  // SIGBUS is blocked.
  if (sigsetjmp(guard.jump, 1) != 0) {
    current_guard = outer;
    return false;
  }
  current_guard = &guard;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  read();
  std::atomic_signal_fence(std::memory_order_seq_cst);
  current_guard = outer;
  return true;
}

}  // namespace heaptrail::analyzer
