// The recorder: initialization, event encoding, and the process life cycle
// (thread exit, fork, exit).

#include "recorder.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "byte_writer.h"
#include "clock.h"
#include "module_tracker.h"
#include "next_allocator.h"
#include "private_heap.h"
#include "proc_files.h"
#include "python_frames.h"
#include "snapshot.h"
#include "stack_capture.h"
#include "writer.h"

extern "C" int __cxa_atexit(void (*function)(void*), void* argument, void* dso_handle);
extern "C" void __libc_freeres();

namespace heaptrail::preload {

thread_local constinit ThreadLocal tls __attribute__((tls_model("initial-exec"))) = {};
constinit Tracker tracker;

namespace {

using format::AllocKind;
using format::EventTag;
using format::FreeKind;

// Set once every library's destructor has run and the trace was flushed
// after them: from then on every event is written at once, since nothing
// else will (see "Exit" in docs/design.md).
constinit std::atomic<bool> exit_flushed{false};
constinit pthread_key_t thread_exit_key = {};
// Nonzero in the process the recorder's state belongs to. Its page is
// wiped in a child made by fork or clone without CLONE_VM, and kept by a
// child that shares the memory (vfork, posix_spawn): see ForkedUnseen().
constinit volatile uint8_t* owner_mark = nullptr;
constexpr size_t kOwnerMarkSize = 4096;

void MarkOwner() {
  if (owner_mark == nullptr) {
    auto* page = static_cast<uint8_t*>(AllocatePages(kOwnerMarkSize));
    if (page == nullptr || madvise(page, kOwnerMarkSize, MADV_WIPEONFORK) != 0) return;
    owner_mark = page;
  }
  *owner_mark = 1;
}

// --- thread life cycle -----------------------------------------------------------

void OnThreadExit(void* state) {
  ThreadRegistry::Retire(static_cast<ThreadState*>(state));
  tls.state = nullptr;  // a later TLS destructor that allocates claims anew
}

ThreadState* CurrentThreadState(uint64_t tick) {
  if (tls.state != nullptr) [[likely]] return tls.state;
  ThreadState* state = tracker.threads.Claim(tick, tracker.config.buffer_size);
  if (state != nullptr) pthread_setspecific(thread_exit_key, state);
  tls.state = state;
  // A thread other than the main one: the program is multi-threaded now, and
  // one more thread, the writer, changes nothing it can rely on.
  if (state != nullptr && state->os_tid != getpid()) {
    // Not pthread_getattr_np(): it holds the thread's lock when it
    // allocates, and the JVM calls it as a thread's first allocation.
    state->stack_address = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
    StartWriterThread();
  }
  return state;
}

// --- event encoding -----------------------------------------------------------

// The largest event: tag + 4 varints.
constexpr size_t kMaxEventSize = 1 + 4 * kMaxVarintSize;

// Without a writer thread, the recording thread runs a round every this
// many events (one round, a clock read and a sigaction call when there is
// little to write, is ~1 us), and at its first event 100 ms after the last
// round, so that a program that allocates slowly still writes a chunk every
// 100 ms. The first deadline, before the tick rate is known, is ~10 ms of a
// 3 GHz TSC after start.
constexpr uint32_t kEventsPerInlineRound = 1024;
constexpr double kInlineRoundPeriodNs = 100e6;
constexpr uint64_t kFirstInlineRoundTicks = uint64_t{1} << 20;
constinit std::atomic<uint64_t> inline_round_deadline{~uint64_t{0}};

void RunInlineRound(uint64_t tick) {
  RunWriterRound(RoundKind::kPeriodic);
  double elapsed_ns = double(ReadClockNs(CLOCK_MONOTONIC) - tracker.start_mono_ns);
  double ticks_per_ns = elapsed_ns > 0 ? double(tick - tracker.start_tick) / elapsed_ns : 0;
  inline_round_deadline.store(tick + uint64_t(ticks_per_ns * kInlineRoundPeriodNs),
                              std::memory_order_relaxed);
}

uint8_t* PutTick(uint8_t* out, ThreadState* state, uint64_t tick) {
  uint64_t relative = tick > tracker.start_tick ? tick - tracker.start_tick : 0;
  // Ticks of one thread never go back; clamp if a CPU migration ever says so.
  if (relative < state->previous_tick) relative = state->previous_tick;
  out = PutVarint(out, relative - state->previous_tick);
  state->previous_tick = relative;
  return out;
}

uint8_t* PutAddress(uint8_t* out, ThreadState* state, const void* ptr) {
  auto address = reinterpret_cast<uint64_t>(ptr);
  out = PutSvarint(out, static_cast<int64_t>(address - state->previous_address));
  state->previous_address = address;
  return out;
}

// A child made by the clone or fork system call itself skips the atfork
// handlers (clone() of glibc goes through ours; syscall(SYS_clone3) cannot):
// it has a copy of the parent's buffers, the parent's file and no writer
// thread. It stops recording, so that it never writes into the parent's
// trace nor waits for a writer that is not there.
bool ForkedUnseen() {
  if (owner_mark == nullptr || *owner_mark != 0) [[likely]] return false;
  tracker.mode.store(Mode::kDisabled, std::memory_order_relaxed);
  tracker.file.Abandon();
  ResetWriterInChild();
  return true;
}

// `event` is a buffer of kMaxEventSize bytes, `size` of them used; `tick`
// is its time.
void Publish(ThreadState* state, const uint8_t* event, size_t size, uint64_t tick) {
  ThreadBuffer& buffer = state->buffer;
  while (!buffer.HasRoom(size)) {
    if (ForkedUnseen()) return;
    // Never drop: wait for the writer, or do its work when there is none.
    if (WriterThreadRunning()) {
      WakeWriter();
      timespec pause = {0, 50000};
      nanosleep(&pause, nullptr);
    } else {
      RunWriterRound(RoundKind::kPeriodic);
    }
  }
  buffer.Append(event, size, kMaxEventSize);
  if (WriterThreadRunning()) {
    if (buffer.CrossedWakeMark()) WakeWriter();
  } else if (exit_flushed.load(std::memory_order_relaxed)) {
    if (!ForkedUnseen()) RunWriterRound(RoundKind::kFinal);
  } else if (buffer.CrossedWakeMark() || ++state->events_since_round == kEventsPerInlineRound ||
             tick >= inline_round_deadline.load(std::memory_order_relaxed)) {
    state->events_since_round = 0;
    if (!ForkedUnseen()) RunInlineRound(tick);
  }
}

uint32_t CaptureStack(ThreadState* state, CallerFrame caller) {
  uint32_t epoch = ModuleEpoch();
  uint32_t nodes_before = tracker.depot.allocated();
  uint32_t stack =
      state->stack_cache.CaptureAndIntern(tracker.depot, tracker.config.depth, epoch, caller);
  // New nodes may be code of a library loaded since the last scan; if one was
  // unloaded, the stack belongs to the new epoch.
  if (tracker.depot.allocated() != nodes_before && RescanModulesIfChanged()) {
    epoch = ModuleEpoch();
    stack = state->stack_cache.CaptureAndIntern(tracker.depot, tracker.config.depth, epoch,
                                                caller);
  }
  if (PythonFramesEnabled() && CapturePythonFrames(state->python_frames)) {
    stack = MixPythonFrames(tracker.depot, tracker.config.depth, epoch, stack,
                            state->stack_cache.latest(), state->python_frames,
                            state->mixed_stack);
  }
  return stack;
}

// Encodes and publishes one event: its tag and tick, the size when `size`
// is given (allocations), the address, and the stack when `caller` is given.
// Always inlined: each caller's constant arguments leave only its fields.
[[gnu::always_inline]] inline void RecordEvent(uint8_t tag, const void* ptr,
                                               const size_t* size,
                                               const CallerFrame* caller) {
  uint64_t tick = ReadTick();
  ThreadState* state = CurrentThreadState(tick);
  if (state == nullptr) return;
  const uint32_t stack = caller != nullptr ? CaptureStack(state, *caller) : 0;
  uint8_t event[kMaxEventSize];
  uint8_t* out = event;
  *out++ = tag;
  out = PutTick(out, state, tick);
  if (size != nullptr) out = PutVarint(out, *size);
  out = PutAddress(out, state, ptr);
  if (caller != nullptr) out = PutVarint(out, stack);
  Publish(state, event, out - event, tick);
}

// --- start-up -----------------------------------------------------------------------

void WriteHeader(const char* path, uint64_t start_unix_ns) {
  format::FileHeader header = {};
  std::memcpy(header.magic, format::kFileMagic, sizeof(header.magic));
  header.version = format::kFormatVersion;
  header.header_size = sizeof(header);
  header.start_tick = tracker.start_tick;
  header.start_unix_ns = start_unix_ns;
  header.start_mono_ns = tracker.start_mono_ns;
  header.pid = static_cast<uint32_t>(getpid());
  header.ppid = static_cast<uint32_t>(getppid());
  header.clock_kind = static_cast<uint32_t>(format::ClockKind::kTsc);
  header.ticks_per_second = 0;  // unknown until the first ClockSync record
  tracker.file.Open(path, header);
}

// --- fork ----------------------------------------------------------------------------

// The writer's order: a round holds the writer lock and takes the module
// lock to emit module records.
// The forking thread holds the tracker's locks across the fork: it counts
// as inside the tracker, so that a snapshot signal's handler on it does not
// take them again.
constinit bool busy_before_fork = false;  // under the writer lock

void BeforeFork() {
  LockWriter();
  LockModules();
  busy_before_fork = tls.busy;
  tls.busy = true;
}

void AfterForkInParent() {
  tls.busy = busy_before_fork;
  UnlockModules();
  UnlockWriter();
}

// A followed child's trace: its path and start, for OpenChildTrace().
constinit char child_path[sizeof(Config::output)] = {};
constinit uint64_t child_start_unix_ns = 0;

// Called by the writer's first round with something to write.
bool OpenChildTrace() {
  WriteHeader(child_path, child_start_unix_ns);
  if (tracker.file.ok()) return true;
  DisableTracking();
  return false;
}

// A followed child continues in a trace of its own, from the fork on: only
// the forking thread survived, the parent writes every event recorded
// before, and the new file gets what its reader needs to resolve stacks (the
// modules, and every stack node interned so far, since the child's stack
// ids are the parent's). The file is created once there is an event to
// write (see DeferTraceFile()).
void FollowInChild() {
  bool was_busy = tls.busy;
  tls.busy = true;  // the module scan below is not the program's
  MarkOwner();
  OpenProcFiles();
  tracker.start_tick = ReadTick();
  tracker.start_mono_ns = ReadClockNs(CLOCK_MONOTONIC);
  inline_round_deadline.store(tracker.start_tick + kFirstInlineRoundTicks,
                              std::memory_order_relaxed);
  tracker.depot.RepairAfterFork();
  tracker.threads.KeepOnlyAfterFork(tls.state, tracker.start_tick);
  ForgetSnapshotsAfterFork();
  ResetWriterInChild();
  ForgetModulesAfterFork();
  UnlockModules();
  child_start_unix_ns = ReadClockNs(CLOCK_REALTIME);
  DescendantOutputPath(tracker.config, getpid(), child_path, sizeof(child_path));
  RescanModules();  // never in the writer: see module_tracker.h
  DeferTraceFile(OpenChildTrace);
  // The child has one thread: the writer starts with its second (see
  // CurrentThreadState()).
  tls.busy = was_busy;
}

void AfterForkInChild() {
  // The child never writes to its parent's trace.
  tracker.file.Abandon();
  // A parent whose trace failed stays untraced, and so do its children.
  if (tracker.config.follow_fork && tracker.mode.load(std::memory_order_relaxed) == Mode::kActive) {
    FollowInChild();
  } else {
    tracker.mode.store(Mode::kDisabled, std::memory_order_relaxed);
    ResetWriterInChild();
    UnlockModules();
  }
  tls.busy = busy_before_fork;
}

// --- the library's constructor and destructor ------------------------------------

__attribute__((constructor)) void StartRecorder() {
  if (!EnterHook()) return;  // initializes; false when this process is not traced
  if (tracker.config.snapshot_signal != 0) InstallSnapshotSignal(tracker.config.snapshot_signal);
  // Here, not in Initialize(): the first allocation may come before libpython
  // is relocated.
  if (tracker.config.python_frames) InitPythonFrames();
  pthread_atfork(BeforeFork, AfterForkInParent, AfterForkInChild);
  LeaveHook();
}

// libstdc++ keeps an emergency exception pool for the life of the process;
// releasing it (as heaptrack and valgrind do) keeps it out of the leaks. It
// sets the pool to empty, so later destructors still work.
void ReleaseRuntimePools() {
  auto freeres = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "_ZN9__gnu_cxx9__freeresEv"));
  if (freeres != nullptr) freeres();
}

// glibc keeps blocks for the life of the process (stdio buffers, NSS
// modules, locale and loader data) and releases them only in
// __libc_freeres, as valgrind has it do at exit: then they are not leaks.
// Only once every destructor has run, and only when no other thread runs:
// it frees what a running thread may be using. Its frees are recorded; the
// tracker itself holds nothing of glibc's heap.
void ReleaseLibcBlocks() {
  if (CountThreads() == 1) __libc_freeres();
}

// The last round, once exit has run every library's destructor; later
// events are written one by one (exit_flushed).
void FlushAfterDestructors(void*) {
  if (tracker.mode.load(std::memory_order_relaxed) != Mode::kActive) return;
  ReleaseLibcBlocks();
  bool was_busy = tls.busy;
  tls.busy = true;
  RunExitRound(reinterpret_cast<uint64_t>(__builtin_frame_address(0)));
  exit_flushed.store(true, std::memory_order_relaxed);
  tls.busy = was_busy;
}

// Runs inside the loader's _dl_fini, in an order it picks: destructors of
// other libraries may still follow and free. Their events stay buffered
// until FlushAfterDestructors: registered now, it is the newest exit handler,
// and glibc's exit runs handlers registered meanwhile as soon as _dl_fini
// returns. A null DSO handle keeps our own __cxa_finalize from running it
// early.
__attribute__((destructor)) void StopRecorder() {
  if (tracker.mode.load(std::memory_order_relaxed) != Mode::kActive || ForkedUnseen()) return;
  tls.busy = true;  // the join frees the writer's thread-local storage: ours
  StopWriterThread();
  tls.busy = false;
  ReleaseRuntimePools();  // its free is recorded: not inside a hook here
  tls.busy = true;
  RescanModules();
  if (__cxa_atexit(FlushAfterDestructors, nullptr, nullptr) == 0) {
    // Written now, should a later destructor crash; that trace then reads
    // as cut short, which it is.
    RunWriterRound(RoundKind::kFlush);
  } else {
    RunWriterRound(RoundKind::kFinal);
    exit_flushed.store(true, std::memory_order_relaxed);
  }
  tls.busy = false;
}

}  // namespace

bool Initialize() {
  Mode expected = Mode::kUninitialized;
  if (!tracker.mode.compare_exchange_strong(expected, Mode::kInitializing,
                                            std::memory_order_acq_rel)) {
    // Another thread is initializing (its calls pass through meanwhile), or
    // tracking is off.
    return expected == Mode::kActive;
  }
  bool was_busy = tls.busy;
  tls.busy = true;
  ResolveNextAllocator();
  ReadConfig(tracker.config);
  Mode mode = Mode::kDisabled;
  // Under `heaptrail run`, only its own child is traced unless forks are
  // followed: a shell script's subprocesses are not the program.
  bool traced = tracker.config.launcher_pid == 0 || tracker.config.follow_fork ||
                getppid() == tracker.config.launcher_pid;
  if (traced) {
    tracker.start_tick = ReadTick();
    tracker.start_mono_ns = ReadClockNs(CLOCK_MONOTONIC);
    // A program exec'd by a followed descendant of `heaptrail run`'s child.
    bool descendant = tracker.config.launcher_pid != 0 && getppid() != tracker.config.launcher_pid;
    if (descendant) {
      DescendantOutputPath(tracker.config, getpid(), tracker.config.output,
                           sizeof(tracker.config.output));
    }
    WriteHeader(tracker.config.output, ReadClockNs(CLOCK_REALTIME));
    if (tracker.file.ok() && tracker.depot.Init() &&
        pthread_key_create(&thread_exit_key, OnThreadExit) == 0) {
      InitStackCapture();
      RescanModules();
      OpenProcFiles();
      MarkOwner();
      inline_round_deadline.store(tracker.start_tick + kFirstInlineRoundTicks,
                                  std::memory_order_relaxed);
      mode = Mode::kActive;
    } else {
      tracker.file.Abandon();
    }
  }
  tracker.mode.store(mode, std::memory_order_release);
  tls.busy = was_busy;
  return mode == Mode::kActive;
}

void RecordAllocation(AllocKind kind, const void* ptr, size_t size, CallerFrame caller) {
  RecordEvent(format::MakeEventTag(EventTag::kAlloc, static_cast<uint8_t>(kind)), ptr, &size,
              &caller);
}

void RecordRelease(FreeKind kind, const void* ptr, CallerFrame caller) {
  if (!tracker.config.free_stacks) [[likely]] {
    RecordEvent(format::MakeEventTag(EventTag::kFree, static_cast<uint8_t>(kind)), ptr, nullptr,
                nullptr);
  } else {
    RecordEvent(format::MakeEventTag(EventTag::kFreeWithStack, static_cast<uint8_t>(kind)), ptr,
                nullptr, &caller);
  }
}

void RecordReallocFailed(const void* ptr) {
  RecordEvent(format::MakeEventTag(EventTag::kReallocFailed, 0), ptr, nullptr, nullptr);
}

void RecordApiSnapshot(const char* label) {
  if (tracker.mode.load(std::memory_order_relaxed) != Mode::kActive) return;
  RequestSnapshot(format::SnapshotSource::kApi, BeginSnapshotTick(), label);
}

void FlushTrace(bool final) {
  if (tracker.mode.load(std::memory_order_relaxed) != Mode::kActive || ForkedUnseen()) return;
  bool was_busy = tls.busy;
  tls.busy = true;
  RunWriterRound(final ? RoundKind::kFinal : RoundKind::kFlush);
  tls.busy = was_busy;
}

bool BeforeProcessClone() {
  if (tracker.mode.load(std::memory_order_relaxed) != Mode::kActive) return false;
  BeforeFork();
  return true;
}

void AfterProcessCloneInParent() { AfterForkInParent(); }

void AfterProcessCloneInChild() { AfterForkInChild(); }

void BeforeProcessCloneChildReturns() {
  if (tracker.mode.load(std::memory_order_relaxed) != Mode::kActive || ForkedUnseen()) return;
  tls.busy = true;  // the join frees the writer's thread-local storage: ours
  StopWriterThread();
  tls.busy = false;
  FlushTrace(/*final=*/true);
}

void FlushFromSignalHandler() {
  if (WriterThreadRunning() || tls.busy || tracker.mode.load(std::memory_order_relaxed) != Mode::kActive) {
    return;
  }
  FlushTrace(/*final=*/false);
}

void DisableTracking() { tracker.mode.store(Mode::kDisabled, std::memory_order_relaxed); }

void EnterTrackerForever() { tls.busy = true; }

}  // namespace heaptrail::preload
