// kLeakKinds records at exit and in a copy-on-write child (see leak_kinds.h).

#include "leak_kinds.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "leak_scan.h"
#include "parked_threads.h"
#include "snapshot.h"
#include "trace_file.h"

namespace heaptrail::preload {
namespace {

constexpr size_t kReadSize = 64 * 1024;

struct LeakChild {
  pid_t pid;
  int pipe;  // read end, non-blocking; -1: no child
  uint64_t tick;
  uint64_t pause_ns;
  uint32_t nonce;
};

constinit LeakChild child = {0, -1, 0, 0, 0};
constinit ChunkBuilder body;     // a record's body: built at exit, received from a child
constinit ChunkBuilder scratch;  // the child's own

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child: classifies its image of the process, sends the body, exits
// without running anything of the program's.
[[noreturn]] void RunChild(const LiveBlocks& live, const ThreadRoots& thread, int out) {
  scratch.Clear();
  bool ok = AppendLeakKindEntries(live, thread, /*in_copy=*/true, scratch) &&
            WriteAll(out, scratch.data(), scratch.size());
  syscall(SYS_exit_group, ok ? 0 : 1);
  __builtin_unreachable();
}

void Finish(const char* trace_path) {
  close(child.pipe);
  child.pipe = -1;
  AcknowledgeLeaks(trace_path, child.nonce);
}

}  // namespace

void AppendExitLeakKinds(const LiveBlocks& live, uint64_t relative_tick, const ThreadRoots& thread,
                         ChunkBuilder& chunk, const char* trace_path) {
  CollectLeakSnapshot(chunk, trace_path, /*wait=*/true);
  body.Clear();
  ThreadRoots roots = thread;
  roots.parked = ParkOtherThreads(&roots.parked_count);
  bool classified = AppendLeakKindEntries(live, roots, /*in_copy=*/false, body);
  ReleaseParkedThreads();
  if (!classified) return;
  PutLeakKindsHead(chunk, relative_tick, 0);
  chunk.Append(body.data(), body.size());
}

bool StartLeakSnapshot(const LiveBlocks& live, uint64_t relative_tick, uint32_t nonce,
                       const ThreadRoots& thread) {
  if (child.pipe >= 0) return false;
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return false;
  // Out of the program's way, as the trace's descriptor.
  ends[0] = MoveToHighDescriptor(ends[0]);
  ends[1] = MoveToHighDescriptor(ends[1]);
  if (ends[0] < 0 || ends[1] < 0 || fcntl(ends[0], F_SETFL, O_NONBLOCK) != 0) {
    if (ends[0] >= 0) close(ends[0]);
    if (ends[1] >= 0) close(ends[1]);
    return false;
  }
  // The child runs no handler of the program's: it starts with every signal
  // blocked.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  uint64_t before = ReadClockNs(CLOCK_MONOTONIC);
  // The other threads stop for the copy: their registers and stack
  // pointers are then in it.
  ThreadRoots roots = thread;
  roots.parked = ParkOtherThreads(&roots.parked_count);
  // No exit signal: the child is invisible to the program's SIGCHLD and wait.
  long pid = syscall(SYS_clone, 0, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) {
    close(ends[0]);
    RunChild(live, roots, ends[1]);
  }
  ReleaseParkedThreads();
  uint64_t pause_ns = ReadClockNs(CLOCK_MONOTONIC) - before;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  close(ends[1]);
  if (pid < 0) {
    close(ends[0]);
    return false;
  }
  body.Clear();
  child = LeakChild{static_cast<pid_t>(pid), ends[0], relative_tick, pause_ns, nonce};
  return true;
}

void CollectLeakSnapshot(ChunkBuilder& chunk, const char* trace_path, bool wait) {
  if (child.pipe < 0) return;
  while (true) {
    uint8_t* out = body.Reserve(kReadSize);
    if (out == nullptr) {
      kill(child.pid, SIGKILL);
      waitpid(child.pid, nullptr, __WALL);
      Finish(trace_path);
      return;
    }
    ssize_t n = read(child.pipe, out, kReadSize);
    if (n > 0) {
      body.Commit(out + n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!wait) return;
      pollfd readable = {child.pipe, POLLIN, 0};
      poll(&readable, 1, -1);
      continue;
    }
    break;  // the end of the pipe: the child is exiting
  }
  int status = 0;
  while (waitpid(child.pid, &status, __WALL) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && body.size() != 0) {
    PutLeakKindsHead(chunk, child.tick, child.pause_ns);
    chunk.Append(body.data(), body.size());
  }
  Finish(trace_path);
}

void ForgetLeakSnapshotAfterFork() {
  if (child.pipe >= 0) close(child.pipe);
  child.pipe = -1;
}

}  // namespace heaptrail::preload
