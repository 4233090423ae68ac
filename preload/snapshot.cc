// Snapshot requests in a fixed ring of slots (no allocation: signal-safe).

#include "snapshot.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <atomic>

#include "chunk_builder.h"
#include "clock.h"
#include "writer.h"

namespace heaptrail::preload {

namespace {

constexpr uint32_t kSlots = 256;
constexpr size_t kLabelSize = 256;

enum SlotState : uint32_t { kEmpty, kFilling, kReady };

struct Slot {
  std::atomic<uint32_t> state;
  uint8_t source;
  uint64_t tick;
  char label[kLabelSize];
};

constinit Slot slots[kSlots] = {};
constinit std::atomic<uint64_t> next_request{0};
constinit uint64_t next_emitted = 0;  // writer only
constinit struct sigaction previous_action = {};

void OnSnapshotSignal(int signo, siginfo_t* info, void* context) {
  int saved_errno = errno;
  RequestSnapshot(format::SnapshotSource::kSignal, ReadTick(), nullptr);
  errno = saved_errno;
  if (previous_action.sa_flags & SA_SIGINFO) {
    if (previous_action.sa_sigaction != nullptr) previous_action.sa_sigaction(signo, info, context);
  } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signo);
  }
}

}  // namespace

void RequestSnapshot(format::SnapshotSource source, uint64_t tick, const char* label) {
  uint64_t request = next_request.fetch_add(1, std::memory_order_relaxed);
  Slot& slot = slots[request % kSlots];
  uint32_t expected = kEmpty;
  // A full ring (256 requests the writer has not seen) drops the request.
  if (!slot.state.compare_exchange_strong(expected, kFilling, std::memory_order_acquire)) return;
  slot.source = static_cast<uint8_t>(source);
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

void EmitSnapshotRecords(ChunkBuilder& out, uint64_t start_tick) {
  uint64_t end = next_request.load(std::memory_order_acquire);
  while (next_emitted < end) {
    Slot& slot = slots[next_emitted % kSlots];
    uint32_t state = slot.state.load(std::memory_order_acquire);
    if (state == kFilling) break;  // its requester is still writing it
    if (state == kReady) {
      out.PutRecordType(format::RecordType::kSnapshot);
      out.PutVarint(slot.tick > start_tick ? slot.tick - start_tick : 0);
      out.PutVarint(slot.source);
      out.PutString(slot.label);
      slot.state.store(kEmpty, std::memory_order_release);
    }
    ++next_emitted;  // an empty slot: a dropped request
  }
}

void InstallSnapshotSignal(int signo) {
  struct sigaction action = {};
  action.sa_sigaction = OnSnapshotSignal;
  action.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(signo, &action, &previous_action);
}

}  // namespace heaptrail::preload
