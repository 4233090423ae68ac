// The writer's rounds and its background thread.

#include "writer.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "chunk_builder.h"
#include "clock.h"
#include "event_columns.h"
#include "ip_dictionary.h"
#include "leak_kinds.h"
#include "live_blocks.h"
#include "module_tracker.h"
#include "private_heap.h"
#include "proc_files.h"
#include "python_code_registry.h"
#include "recorder.h"
#include "snapshot.h"
#include "tick_rounder.h"
#include "tracker.h"

namespace heaptrail::preload {
namespace {

using format::RecordType;

constexpr uint64_t kMillisecond = 1000000;
constexpr uint64_t kRoundPeriodNs = 20 * kMillisecond;   // background rounds
constexpr uint64_t kChunkPeriodNs = 100 * kMillisecond;  // the most a kill can lose
constexpr uint64_t kRssPeriodNs = 100 * kMillisecond;
constexpr uint64_t kClockPeriodNs = 50 * kMillisecond;
constexpr size_t kChunkTarget = 2u << 20;  // well under kMaxChunkRawSize
constexpr size_t kWriterStackSize = 512 * 1024;

constinit pthread_mutex_t writer_mutex = PTHREAD_MUTEX_INITIALIZER;
constinit ChunkBuilder chunk;
constinit ChunkBuilder unwrapped;  // a drained ring's two pieces, joined
constinit ChunkBuilder columns;    // scratch of AppendEventColumns()
constinit LiveBlocks live_blocks;  // with HEAPTRAIL_LEAK_KINDS
constinit ChunkBuilder assembled;  // the chunk with its column sections first
// The threads' column records of this chunk (ColumnState::pending): bytes,
// and threads that have some (the chunk's column sections).
constinit size_t pending_column_bytes = 0;
constinit uint32_t pending_column_threads = 0;
constinit uint32_t nodes_written = 1;  // node 0, the root, is implicit
constinit IpDictionary node_ips;
constinit uint64_t previous_ip_index = ~uint64_t{0};  // the first node's "previous" is -1
// The writer thread's time working and waiting, and its CPU time while
// working, averaged over its last rounds. Behind when it takes the program's
// CPU (it works more than a third of the time, and waits for a core while
// it does: the program's threads occupy them), or when it nears the point
// where the program's threads would wait for it (full rings).
constinit uint64_t busy_average_ns = 0;
constinit uint64_t busy_cpu_average_ns = 0;
constinit uint64_t idle_average_ns = 0;
constinit bool writer_behind = false;
constinit TickRounder tick_rounder;
constinit bool process_info_written = false;
constinit uint64_t last_chunk_ns = 0;
constinit uint64_t last_rss_ns = 0;
constinit uint64_t last_clock_ns = 0;
constinit uint64_t last_interval_snapshot_ns = 0;

constinit std::atomic<uint32_t> wake_word{0};
constinit std::atomic<bool> stop_requested{false};
constinit std::atomic<bool> thread_running{false};
constinit std::atomic<bool> start_claimed{false};  // started, or stopped for good
constinit pthread_t writer_thread = {};
using OpenFn = bool (*)();
constinit OpenFn deferred_open = nullptr;  // see DeferTraceFile()

uint64_t RelativeTick(uint64_t tick) {
  return tick > tracker.start_tick ? tick - tracker.start_tick : 0;
}

// A state the writer drains (claimed and published), whose fields it owns.
bool Drained(const ThreadState* s) {
  // Matched by the release stores in ThreadRegistry::Claim() and Retire().
  ThreadStatus status = s->status.load(std::memory_order_acquire);
  return status == ThreadStatus::kActive || status == ThreadStatus::kRetired;
}

// The chunk's bytes as written: the column sections of its threads' event
// records, then its records. Null when out of memory.
const ChunkBuilder* AssembleChunk() {
  if (pending_column_bytes == 0) return &chunk;
  assembled.Clear();
  assembled.PutRecordType(RecordType::kColumnSections);
  assembled.PutVarint(pending_column_threads);
  bool ok = true;
  for (ThreadState* s = tracker.threads.first(); s != nullptr; s = s->next) {
    const ChunkBuilder& pending = s->columns.pending;
    if (Drained(s) && pending.size() != 0) {
      ok &= PutColumnSectionHeader(assembled, pending.data(), pending.size());
    }
  }
  for (ThreadState* s = tracker.threads.first(); s != nullptr; s = s->next) {
    ChunkBuilder& pending = s->columns.pending;
    if (!Drained(s) || pending.size() == 0) continue;
    ok &= AppendColumnSection(assembled, pending.data(), pending.size());
    pending.Clear();
    if (s->end_written) {
      s->end_written = false;
      // Matched by the acquire CAS in ThreadRegistry::Claim().
      s->status.store(ThreadStatus::kFree, std::memory_order_release);
    }
  }
  pending_column_bytes = 0;
  pending_column_threads = 0;
  const size_t sections_end = assembled.size();
  assembled.Append(chunk.data(), chunk.size());
  return ok && assembled.size() == sections_end + chunk.size() ? &assembled : nullptr;
}

void WriteChunk(uint64_t now_ns) {
  const ChunkBuilder* bytes = AssembleChunk();
  if (bytes == nullptr || !tracker.file.WriteChunk(bytes->data(), bytes->size())) {
    DisableTracking();
  }
  chunk.Clear();
  last_chunk_ns = now_ns;
}

void EmitProcessInfo() {
  chunk.PutRecordType(RecordType::kProcessInfo);
  chunk.PutString(ExecutablePath());
  std::string_view cmdline = CommandLine();
  uint64_t argc = 0;
  for (char c : cmdline) argc += c == '\0';
  chunk.PutVarint(argc);
  for (size_t i = 0, start = 0; i < cmdline.size(); ++i) {
    if (cmdline[i] != '\0') continue;
    chunk.PutString(cmdline.substr(start, i - start));
    start = i + 1;
  }
}

void EmitRss(uint64_t tick) {
  uint64_t bytes;
  if (!ReadResidentBytes(&bytes)) return;
  chunk.PutRecordType(RecordType::kRss);
  chunk.PutVarint(RelativeTick(tick));
  chunk.PutVarint(bytes);
}

void EmitStackNodes() {
  const StackDepot& depot = tracker.depot;
  uint32_t end = depot.allocated();
  uint32_t first = nodes_written;
  uint32_t last = first;
  // Matched by the release store of the node's ip in StackDepot::Intern().
  while (last < end && depot.node(last).ip.load(std::memory_order_acquire) != 0) ++last;
  if (last == first) return;
  chunk.PutRecordType(RecordType::kStackNodes);
  chunk.PutVarint(first);
  chunk.PutVarint(last - first);
  for (uint32_t id = first; id < last; ++id) {
    const StackNode& node = depot.node(id);
    uint8_t* out = chunk.Reserve(4 * kMaxVarintSize);
    if (out == nullptr) return;
    out = PutVarint(out, id - node.parent);
    IpDictionary::Entry ip = node_ips.Find(node.ip.load(std::memory_order_relaxed));
    out = PutSvarint(out, static_cast<int64_t>(ip.index - previous_ip_index - 1));
    if (ip.is_new) out = PutSvarint(out, ip.delta);
    previous_ip_index = ip.index;
    out = PutVarint(out, node.epoch);
    chunk.Commit(out);
  }
  nodes_written = last;
}

void AppendRows(uint32_t thread, const uint8_t* first, size_t first_size, const uint8_t* second,
                size_t second_size) {
  chunk.PutRecordType(RecordType::kThreadEvents);
  chunk.PutVarint(thread);
  chunk.PutVarint(first_size + second_size);
  chunk.Append(first, first_size);
  if (second_size != 0) chunk.Append(second, second_size);
}

bool HasEvents(const ThreadState* s) { return Drained(s) && !s->buffer.Empty(); }

// The only thread with events waiting, or null: the one whose ticks this
// round may round.
const ThreadState* SoleThreadWithEvents() {
  const ThreadState* sole = nullptr;
  for (const ThreadState* s = tracker.threads.first(); s != nullptr; s = s->next) {
    if (!HasEvents(s)) continue;
    if (sole != nullptr) return nullptr;
    sole = s;
  }
  return sole;
}

void DrainThreads(uint64_t now_ns, uint64_t round_tick) {
  // Read after the round's tick, before any ring is drained.
  const ThreadState* rounded = SoleThreadWithEvents();
  TickRounding rounding = tick_rounder.Start(RelativeTick(round_tick), SnapshotRequestsBegun(),
                                             rounded != nullptr,
                                             rounded != nullptr ? rounded->index : 0);
  uint32_t threads_with_events = 0;
  uint32_t first_thread = 0;
  for (ThreadState* s = tracker.threads.first(); s != nullptr; s = s->next) {
    // Matched by the release stores in ThreadRegistry::Claim() and Retire().
    ThreadStatus status = s->status.load(std::memory_order_acquire);
    if (status == ThreadStatus::kFree || status == ThreadStatus::kClaiming || s->end_written) {
      continue;
    }
    if (!s->announced) {
      chunk.PutRecordType(RecordType::kThreadStart);
      chunk.PutVarint(s->index);
      chunk.PutVarint(s->os_tid);
      chunk.PutVarint(RelativeTick(s->start_tick));
      s->announced = true;
    }
    bool drained = false;
    s->buffer.Drain([&](const uint8_t* first, size_t first_size, const uint8_t* second,
                        size_t second_size) {
      drained = true;
      const uint8_t* bytes = first;
      if (second_size != 0) {  // the ring wrapped: make the records contiguous
        unwrapped.Clear();
        unwrapped.Append(first, first_size);
        unwrapped.Append(second, second_size);
        bytes = unwrapped.size() == first_size + second_size ? unwrapped.data() : nullptr;
      }
      size_t size = first_size + second_size;
      if (tracker.config.leak_kinds && live_blocks.ok()) {
        if (bytes == nullptr || !live_blocks.ApplyRows(bytes, size, s->live_tick, s->live_address)) {
          live_blocks.Reset();
          live_blocks.Disable();
        }
      }
      // Columns, the default, make a trace up to 2x smaller for ~50 ns of
      // writer CPU per event (docs/performance.md): rows once the writer
      // takes the program's CPU or the program waits for it
      // (writer_behind); HEAPTRAIL_COMPACT=0 for rows always.
      // The record's columns wait in the thread's section of the chunk,
      // its header goes in the chunk's order (kThreadEventColumnsApart).
      ChunkBuilder& pending = s->columns.pending;
      const size_t pending_before = pending.size();
      if (tracker.config.compact && bytes != nullptr && !s->rows_only && !writer_behind &&
          AppendEventColumns(pending, columns, s->index, bytes, size, s->columns,
                             s == rounded ? rounding : TickRounding{})) {
        if (PutColumnsApartHeader(chunk, pending.data() + pending_before,
                                  pending.size() - pending_before)) {
          pending_column_bytes += pending.size() - pending_before;
          pending_column_threads += pending_before == 0;
          return;
        }
        pending.Truncate(pending_before);  // out of memory: rows
      }
      // Rows from now on for this thread (the writer behind, out of memory,
      // or records that do not split, never from our hooks): the last
      // address, from which the next columns would start, was not followed.
      s->rows_only = true;
      AppendRows(s->index, first, first_size, second, second_size);
    });
    if (drained && threads_with_events++ == 0) first_thread = s->index;
    if (status == ThreadStatus::kRetired) {
      chunk.PutRecordType(RecordType::kThreadEnd);
      chunk.PutVarint(s->index);
      chunk.PutVarint(RelativeTick(ReadTick()));
      chunk.PutString(s->name);
      if (s->columns.pending.size() != 0) {
        s->end_written = true;  // freed once its columns are written
      } else {
        // Matched by the acquire CAS in ThreadRegistry::Claim().
        s->status.store(ThreadStatus::kFree, std::memory_order_release);
      }
    }
    if (chunk.size() + pending_column_bytes >= kChunkTarget ||
        pending_column_threads == format::kMaxColumnSections) {
      WriteChunk(now_ns);
    }
  }
  tick_rounder.End(threads_with_events, first_thread);
}

bool HasSomethingToWrite() {
  if (SnapshotsPending()) return true;
  for (ThreadState* s = tracker.threads.first(); s != nullptr; s = s->next) {
    if (HasEvents(s)) return true;
  }
  return false;
}

// `heaptrail snapshot --leaks`: the snapshot's blocks classified in a child.
bool StartLeaks(uint64_t relative_tick, uint32_t nonce) {
  if (!tracker.config.leak_kinds || !live_blocks.ok()) return false;
  ThreadRoots thread = leak_snapshot_thread;
  if (thread.stack_top == 0) thread.stack_top = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
  return StartLeakSnapshot(live_blocks, relative_tick, nonce, thread);
}

// With a stack top: the exit round, which classifies the live blocks.
void RoundLocked(RoundKind kind, uint64_t exit_stack_top = 0) {
  if (deferred_open != nullptr) {
    if (!HasSomethingToWrite()) return;
    OpenFn open = deferred_open;
    deferred_open = nullptr;
    if (!open()) return;
  }
  if (!tracker.file.ok()) return;
  // Read before any buffer is drained: see "Ordering" in trace_format.h.
  uint64_t round_tick = ReadTick();
  uint64_t now_ns = ReadClockNs(CLOCK_MONOTONIC);
  if (!process_info_written) {
    EmitProcessInfo();
    process_info_written = true;
  }
  DrainThreads(now_ns, round_tick);
  live_blocks.EndRound();
  // A periodic round writes about a chunk of them, the rest later; the last
  // rounds write them all, a chunk at a time.
  while (EmitPythonRecords(chunk) && kind != RoundKind::kPeriodic) WriteChunk(now_ns);
  EmitStackNodes();
  EmitModuleRecords(chunk);

  double interval = tracker.config.snapshot_interval_s;
  if (interval > 0 && now_ns - last_interval_snapshot_ns >= uint64_t(interval * 1e9)) {
    if (last_interval_snapshot_ns != 0) {
      RequestSnapshot(format::SnapshotSource::kInterval, round_tick, nullptr);
    }
    last_interval_snapshot_ns = now_ns;
  }
  CheckSnapshotSignal();
  EmitSnapshotRecords(chunk, tracker.start_tick, tracker.file.path(), StartLeaks);
  CollectLeakSnapshot(chunk, tracker.file.path(), /*wait=*/false);

  bool final = kind == RoundKind::kFinal;
  if (final || now_ns - last_rss_ns >= kRssPeriodNs) {
    EmitRss(ReadTick());
    last_rss_ns = now_ns;
  }
  if (final || last_clock_ns == 0 || now_ns - last_clock_ns >= kClockPeriodNs) {
    uint64_t tick = ReadTick();
    uint64_t mono = ReadClockNs(CLOCK_MONOTONIC);
    chunk.PutRecordType(RecordType::kClockSync);
    chunk.PutVarint(RelativeTick(tick));
    chunk.PutVarint(mono > tracker.start_mono_ns ? mono - tracker.start_mono_ns : 0);
    last_clock_ns = now_ns;
  }
  if (exit_stack_top != 0 && tracker.config.leak_kinds && live_blocks.ok()) {
    AppendExitLeakKinds(live_blocks, RelativeTick(ReadTick()), ThreadRoots{exit_stack_top}, chunk,
                        tracker.file.path());
  }
  chunk.PutRecordType(RecordType::kRoundEnd);
  chunk.PutVarint(RelativeTick(round_tick));
  if (final) {
    chunk.PutRecordType(RecordType::kEnd);
    chunk.PutVarint(RelativeTick(ReadTick()));
  }
  if (kind != RoundKind::kPeriodic || chunk.size() + pending_column_bytes >= kChunkTarget ||
      now_ns - last_chunk_ns >= kChunkPeriodNs) {
    WriteChunk(now_ns);
  }
}

long Futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

void* WriterMain(void*) {
  EnterTrackerForever();  // the writer's own allocations are never recorded
  while (!stop_requested.load(std::memory_order_acquire)) {
    uint32_t seen = wake_word.load(std::memory_order_acquire);
    timespec period = {0, static_cast<long>(kRoundPeriodNs)};
    uint64_t waited = ReadClockNs(CLOCK_MONOTONIC);
    Futex(&wake_word, FUTEX_WAIT_PRIVATE, seen, &period);
    uint64_t woken = ReadClockNs(CLOCK_MONOTONIC);
    uint64_t cpu_before = ReadClockNs(CLOCK_THREAD_CPUTIME_ID);
    RunWriterRound(RoundKind::kPeriodic);
    uint64_t done = ReadClockNs(CLOCK_MONOTONIC);
    uint64_t cpu = ReadClockNs(CLOCK_THREAD_CPUTIME_ID) - cpu_before;
    idle_average_ns += ((woken - waited) >> 3) - (idle_average_ns >> 3);
    busy_average_ns += ((done - woken) >> 3) - (busy_average_ns >> 3);
    busy_cpu_average_ns += (cpu >> 3) - (busy_cpu_average_ns >> 3);
    bool waits_for_a_core = 10 * busy_cpu_average_ns < 9 * busy_average_ns;
    writer_behind = (2 * busy_average_ns > idle_average_ns && waits_for_a_core) ||
                    busy_average_ns > 3 * idle_average_ns;
  }
  return nullptr;
}

}  // namespace

constinit ThreadRoots leak_snapshot_thread = {};

void RunWriterRound(RoundKind kind) {
  pthread_mutex_lock(&writer_mutex);
  RoundLocked(kind);
  pthread_mutex_unlock(&writer_mutex);
}

void RunExitRound(uint64_t stack_top) {
  pthread_mutex_lock(&writer_mutex);
  RoundLocked(RoundKind::kFinal, stack_top);
  pthread_mutex_unlock(&writer_mutex);
}

void StartWriterThread() {
  if (start_claimed.exchange(true, std::memory_order_acq_rel)) return;
  // The writer must never run the program's signal handlers.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  stop_requested.store(false, std::memory_order_relaxed);
  // A stack of our own: glibc keeps a thread stack it allocated in a cache
  // that __libc_freeres empties at exit, and with it would free the
  // writer's thread-local storage, allocated unrecorded (inside the
  // tracker), as a block the trace never saw. For a stack of ours, glibc
  // frees that storage when the thread is joined, inside the tracker.
  pthread_attr_t attributes;
  void* stack = AllocatePages(kWriterStackSize);
  if (stack != nullptr && pthread_attr_init(&attributes) == 0) {
    if (pthread_attr_setstack(&attributes, stack, kWriterStackSize) == 0 &&
        pthread_create(&writer_thread, &attributes, WriterMain, nullptr) == 0) {
      pthread_setname_np(writer_thread, "heaptrail");
      thread_running.store(true, std::memory_order_release);
    }
    pthread_attr_destroy(&attributes);
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

void StopWriterThread() {
  start_claimed.store(true, std::memory_order_relaxed);  // never again: exit
  if (!thread_running.exchange(false, std::memory_order_acq_rel)) return;
  stop_requested.store(true, std::memory_order_release);
  WakeWriter();
  pthread_join(writer_thread, nullptr);
}

bool WriterThreadRunning() { return thread_running.load(std::memory_order_acquire); }

void WakeWriter() {
  wake_word.fetch_add(1, std::memory_order_release);
  Futex(&wake_word, FUTEX_WAKE_PRIVATE, 1, nullptr);
}

void LockWriter() { pthread_mutex_lock(&writer_mutex); }
void UnlockWriter() { pthread_mutex_unlock(&writer_mutex); }

void DeferTraceFile(bool (*open)()) { deferred_open = open; }

void ResetWriterInChild() {
  thread_running.store(false, std::memory_order_relaxed);
  start_claimed.store(false, std::memory_order_relaxed);
  chunk.Clear();
  pending_column_bytes = 0;  // the threads' pending records are reset with them
  pending_column_threads = 0;
  live_blocks.Reset();
  ForgetLeakSnapshotAfterFork();
  nodes_written = 1;
  node_ips.Clear();
  previous_ip_index = ~uint64_t{0};
  ResetPythonRecordsAfterFork();
  process_info_written = false;
  last_chunk_ns = 0;
  last_rss_ns = 0;
  last_clock_ns = 0;
  tick_rounder.Reset();
  deferred_open = nullptr;
  pthread_mutex_init(&writer_mutex, nullptr);
}

}  // namespace heaptrail::preload
