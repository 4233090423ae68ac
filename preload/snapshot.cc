// Snapshot requests in a fixed ring of slots (no allocation: signal-safe).

#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>

#include "chunk_builder.h"
#include "clock.h"
#include "recorder.h"
#include "writer.h"

namespace heaptrail::preload {

namespace {

constexpr uint32_t kSlots = 256;
constexpr size_t kLabelSize = 256;

enum SlotState : uint32_t { kEmpty, kFilling, kReady };

// The value `heaptrail snapshot` sends with sigqueue(): a nonce naming its
// files, and flags (snapshot_request.h).
constexpr uint32_t kLeaksFlag = 1u << 30;  // --leaks: classify the blocks too
constexpr uint32_t kNudgeFlag = 1u << 29;  // no snapshot: just run a round
constexpr uint32_t kNonceMask = kNudgeFlag - 1;

struct Slot {
  std::atomic<uint32_t> state;
  uint8_t source;
  bool leaks;
  uint32_t nonce;  // names the label file of `heaptrail snapshot`; 0: none
  uint64_t tick;
  char label[kLabelSize];
};

constinit Slot slots[kSlots] = {};
constinit std::atomic<uint64_t> next_request{0};
constinit std::atomic<uint64_t> requests_begun{0};
constinit uint64_t next_emitted = 0;  // writer only
constinit struct sigaction previous_action = {};
constinit int installed_signal = 0;
constinit bool replaced_warned = false;  // writer only

void Request(format::SnapshotSource source, uint64_t tick, const char* label, uint32_t nonce,
             bool leaks) {
  uint64_t request = next_request.fetch_add(1, std::memory_order_relaxed);
  Slot& slot = slots[request % kSlots];
  uint32_t expected = kEmpty;
  // A full ring (256 requests the writer has not seen) drops the request.
  if (!slot.state.compare_exchange_strong(expected, kFilling, std::memory_order_acquire)) return;
  slot.source = static_cast<uint8_t>(source);
  slot.leaks = leaks;
  slot.nonce = nonce;
  slot.tick = tick;
  slot.label[0] = '\0';
  if (label != nullptr) {
    strncpy(slot.label, label, kLabelSize - 1);
    slot.label[kLabelSize - 1] = '\0';
  }
  // Matched by the acquire load in EmitSnapshotRecords().
  slot.state.store(kReady, std::memory_order_release);
  WakeWriter();
}

// `heaptrail snapshot` writes the label to "<trace>.label.<nonce>" (and,
// with --leaks, creates "<trace>.leaks.<nonce>") and sends the nonce with
// sigqueue(). A file is taken only if it is a plain file of ours (or
// root's) that nobody else can read or write, then removed: its removal is
// the CLI's acknowledgement. Reads its content into `text` when given.
void TakeRequestFile(const char* trace_path, const char* kind, uint32_t nonce, char* text) {
  char path[4200];
  snprintf(path, sizeof(path), "%s.%s.%u", trace_path, kind, nonce);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
      (st.st_mode & 077) == 0 && (st.st_uid == geteuid() || st.st_uid == 0)) {
    if (text != nullptr) {
      ssize_t n = read(fd, text, kLabelSize - 1);
      text[n > 0 ? n : 0] = '\0';
    }
    unlink(path);
  }
  close(fd);
}

void OnSnapshotSignal(int signo, siginfo_t* info, void* context) {
  int saved_errno = errno;
  uint32_t value = 0;
  if (info != nullptr && info->si_code == SI_QUEUE) value = static_cast<uint32_t>(info->si_value.sival_int);
  if ((value & kNudgeFlag) != 0) {  // ours alone: the program's handler is not told
    FlushFromSignalHandler();
    errno = saved_errno;
    return;
  }
  Request(format::SnapshotSource::kSignal, BeginSnapshotTick(), nullptr, value & kNonceMask,
          (value & kLeaksFlag) != 0);
  // The interrupted code's stack and registers; not the signal frame's other
  // content (its vector registers hold stale copies of anything).
  if (context != nullptr) {
    greg_t* registers = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
    leak_snapshot_thread = ThreadRoots{static_cast<uint64_t>(registers[REG_RSP]),
                                       reinterpret_cast<uint64_t>(registers),
                                       reinterpret_cast<uint64_t>(registers + NGREG)};
  }
  FlushFromSignalHandler();
  leak_snapshot_thread = ThreadRoots{};
  errno = saved_errno;
  if (previous_action.sa_flags & SA_SIGINFO) {
    if (previous_action.sa_sigaction != nullptr) previous_action.sa_sigaction(signo, info, context);
  } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signo);
  }
}

}  // namespace

uint64_t BeginSnapshotTick() {
  // Sequentially consistent with the writer's load, which comes after its
  // round's tick: a request it does not count reads a later tick.
  requests_begun.fetch_add(1, std::memory_order_seq_cst);
  return ReadTick();
}

uint64_t SnapshotRequestsBegun() { return requests_begun.load(std::memory_order_seq_cst); }

void RequestSnapshot(format::SnapshotSource source, uint64_t tick, const char* label) {
  Request(source, tick, label, 0, false);
}

void AcknowledgeLeaks(const char* trace_path, uint32_t nonce) {
  TakeRequestFile(trace_path, "leaks", nonce, nullptr);
}

void EmitSnapshotRecords(ChunkBuilder& out, uint64_t start_tick, const char* trace_path,
                         StartLeaksFn start_leaks) {
  uint64_t end = next_request.load(std::memory_order_acquire);
  while (next_emitted < end) {
    Slot& slot = slots[next_emitted % kSlots];
    uint32_t state = slot.state.load(std::memory_order_acquire);
    if (state == kFilling) break;  // its requester is still writing it
    if (state == kReady) {
      if (slot.nonce != 0) TakeRequestFile(trace_path, "label", slot.nonce, slot.label);
      uint64_t tick = slot.tick > start_tick ? slot.tick - start_tick : 0;
      uint8_t source = slot.source;
      if (slot.leaks) {
        if (start_leaks(tick, slot.nonce)) {
          source = static_cast<uint8_t>(format::SnapshotSource::kSignalWithLeaks);
        } else {
          AcknowledgeLeaks(trace_path, slot.nonce);  // nothing will come
        }
      }
      out.PutRecordType(format::RecordType::kSnapshot);
      out.PutVarint(tick);
      out.PutVarint(source);
      out.PutString(slot.label);
      slot.state.store(kEmpty, std::memory_order_release);
    }
    ++next_emitted;  // an empty slot: a dropped request
  }
}

bool SnapshotsPending() { return next_request.load(std::memory_order_acquire) != next_emitted; }

void ForgetSnapshotsAfterFork() {
  for (Slot& slot : slots) slot.state.store(kEmpty, std::memory_order_relaxed);
  next_emitted = next_request.load(std::memory_order_relaxed);
}

void InstallSnapshotSignal(int signo) {
  struct sigaction action = {};
  action.sa_sigaction = OnSnapshotSignal;
  action.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(signo, &action, &previous_action) == 0) installed_signal = signo;
}

void CheckSnapshotSignal() {
  if (installed_signal == 0 || replaced_warned) return;
  struct sigaction current;
  if (sigaction(installed_signal, nullptr, &current) != 0) return;
  if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == OnSnapshotSignal) return;
  replaced_warned = true;
  char line[300];
  int n = snprintf(line, sizeof(line),
                   "heaptrail: the program replaced the handler of signal %d (%s): that signal no "
                   "longer takes snapshots; choose another with --snapshot-signal or "
                   "HEAPTRAIL_SNAPSHOT_SIGNAL\n",
                   installed_signal, sigabbrev_np(installed_signal) ? sigabbrev_np(installed_signal) : "?");
  if (n > 0) {
    ssize_t ignored = write(STDERR_FILENO, line, n < int(sizeof(line)) ? n : sizeof(line) - 1);
    (void)ignored;
  }
}

}  // namespace heaptrail::preload
