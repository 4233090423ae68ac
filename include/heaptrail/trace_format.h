// The heaptrail trace format: the one definition shared by the recorder
// (preload/, the encoder) and the analyzer (analyzer/, the decoder).
//
// A trace file is a FileHeader followed by chunks. Each chunk is a
// ChunkHeader followed by one zstd frame (with content checksum) whose
// decompressed bytes are a sequence of top-level records. A reader that meets
// a short or damaged chunk at the end of the file stops there: everything
// before it is complete, which is what makes a trace of a killed program
// readable.
//
// All integers inside records are LEB128 varints ("varint", unsigned, at most
// 10 bytes) or zigzag-encoded varints ("svarint"). A "string" is a varint
// length followed by that many bytes (no terminator). Fixed-size structs are
// little-endian.
//
// Ordering. Every event carries a tick from a clock that is synchronized
// across CPUs (the invariant TSC, or CLOCK_MONOTONIC nanoseconds; see
// FileHeader::clock_kind). Events of one thread appear in that thread's order.
// Across threads, the recorder publishes a release (free) before the memory is
// really released and an allocation before its pointer is returned, so two
// events on the same address are published in their true order. The writer
// drains thread buffers in rounds and ends each with a RoundEnd record whose
// tick was read before the round's drain began. A reader that buffers events
// and, at each RoundEnd(W), replays the buffered events with tick < W in tick
// order (ties: releases first) rebuilds a valid global order with memory
// bounded by one round: no event published later can precede them.
//
// Rounded ticks. In a kThreadEventColumns record, the writer may round an
// event's tick down to a multiple of kTickQuantum (about 11 us of TSC, 1 us
// of CLOCK_MONOTONIC), never below the thread's previous event's nor to the
// previous RoundEnd's tick or below, and never the record's last event's.
// It does so only where the order above is kept: for a thread whose events
// are the only ones in a round and in the one before, on ticks strictly
// between the previous RoundEnd's and this one's, and when no snapshot was
// requested by the program since two rounds before. Any other thread's
// event that precedes such an event then has a tick below the previous
// RoundEnd's (it was drained before), any that follows it one above its
// exact tick, and any snapshot falls outside the rounded span. The time of such an event
// is exact to kTickQuantum, its order exact.
//
// Stacks. Call stacks are interned as a tree: node 0 is the empty stack (the
// root); every other node is (parent, ip, epoch). An allocation carries the id
// of its innermost node. Ips are raw return addresses (the first one is the
// return address into the caller of the allocation function). The epoch counts
// module unloads: a node's ip is resolved against the modules alive in its
// epoch, which is exact even when a library is unloaded and another mapped at
// the same address.
//
// Thread-safety: this header only declares constants and PODs.

#ifndef HEAPTRAIL_TRACE_FORMAT_H_
#define HEAPTRAIL_TRACE_FORMAT_H_

#include <cstdint>

namespace heaptrail::format {

// ---------------------------------------------------------------------------
// File and chunk framing
// ---------------------------------------------------------------------------

inline constexpr char kFileMagic[8] = {'H', 'E', 'A', 'P', 'T', 'R', 'L', '\n'};

// Bumped on every change to anything in this file.
// 2: kFreeWithStack. 3: kThreadEventColumns, ticks of 32 TSC cycles.
// 4: kLeakKinds. 5: Python frames (kPythonInterpreter, kPythonCode).
// 6: stack node parents as distances; kThreadEventColumns' addresses as
// references to the thread's recent addresses, its ticks maybe rounded.
// 7: stack node ips as references to the trace's earlier ips.
// 8: kColumnSections, kThreadEventColumnsApart.
inline constexpr uint32_t kFormatVersion = 8;

enum class ClockKind : uint32_t {
  kTsc = 0,            // invariant TSC >> 5 (version >= 3); rate from ClockSync
  kMonotonicNs = 1,    // CLOCK_MONOTONIC nanoseconds
};

struct FileHeader {
  char magic[8];             // kFileMagic
  uint32_t version;          // kFormatVersion
  uint32_t header_size;      // sizeof(FileHeader); readers skip any extra bytes
  uint64_t start_tick;       // every tick in the file is relative to this
  uint64_t start_unix_ns;    // CLOCK_REALTIME at start_tick
  uint64_t start_mono_ns;    // CLOCK_MONOTONIC at start_tick
  uint32_t pid;
  uint32_t ppid;
  uint32_t clock_kind;       // ClockKind
  uint32_t flags;            // reserved, 0
  uint64_t ticks_per_second; // estimate at start; ClockSync records refine it
};
static_assert(sizeof(FileHeader) == 64);

inline constexpr uint32_t kChunkMagic = 0x4b435448;  // "HTCK" little-endian

struct ChunkHeader {
  uint32_t magic;            // kChunkMagic
  uint32_t compressed_size;  // bytes of the zstd frame that follows
  uint32_t raw_size;         // decompressed size, <= kMaxChunkRawSize
  uint32_t sequence;         // 0, 1, 2, ...: a gap means a lost chunk
};
static_assert(sizeof(ChunkHeader) == 16);

// Limits a reader enforces so that a hostile file cannot make it allocate
// without bound.
inline constexpr uint32_t kMaxChunkRawSize = 16u << 20;
inline constexpr uint32_t kMaxStringSize = 4096;
inline constexpr uint32_t kMaxBuildIdSize = 64;
inline constexpr uint32_t kMaxSegments = 64;
inline constexpr uint32_t kMaxThreadIndex = 1u << 22;
inline constexpr uint32_t kMaxPythonLineTableSize = 1u << 20;
inline constexpr uint32_t kMaxColumnSections = 1u << 16;

// ---------------------------------------------------------------------------
// Top-level records (in a chunk's decompressed bytes)
// ---------------------------------------------------------------------------
//
// Each starts with one RecordType byte. Ticks are relative to start_tick.
enum class RecordType : uint8_t {
  // varint thread, varint byte_count, then byte_count bytes of thread event
  // records (below). A thread's event stream continues across ThreadEvents
  // records: the delta state (previous tick, previous address) carries over.
  kThreadEvents = 1,
  // varint thread, varint os_tid, varint tick
  kThreadStart = 2,
  // varint thread, varint tick, string name (empty when unknown)
  kThreadEnd = 3,
  // varint first_id, varint count, then count x
  //   { varint id - parent, svarint ip_step, [svarint ip_delta], varint epoch }
  // Node ids first_id .. first_id + count - 1. parent < id: the distance is
  // at least 1, and most often exactly 1 (a new stack's nodes come outermost
  // first, each the parent of the next). The trace's distinct ips are
  // numbered 0, 1, 2... in the order they first appear; a node's ip has the
  // number of the previous node's (in the trace; -1 before the first) plus
  // 1 plus ip_step. A number no ip has yet is a new ip, and ip_delta follows:
  // the ip minus the previous new ip of the trace (minus 0 for the first).
  // Before version 7, no ip_step: every node had ip_delta, relative to the
  // previous node's ip in its record.
  kStackNodes = 4,
  // varint module_id, varint epoch (first epoch in which it is mapped),
  // string path, varint load_bias, varint build_id_size, build_id bytes,
  // varint segment_count, segment_count x
  //   { varint vaddr, varint memsz, varint file_offset, varint flags (PF_*) }
  // A segment covers [load_bias + vaddr, load_bias + vaddr + memsz).
  kModuleLoad = 5,
  // varint module_id, varint epoch (first epoch in which it is gone)
  kModuleUnload = 6,
  // varint tick: see "Ordering" above.
  kRoundEnd = 7,
  // varint tick, varint mono_ns (relative to start_mono_ns)
  kClockSync = 8,
  // varint tick, varint rss_bytes
  kRss = 9,
  // varint tick, varint SnapshotSource, string label. A snapshot is a point in
  // the global order: it is replayed like an event with that tick.
  kSnapshot = 10,
  // string executable, varint argc, argc x string
  kProcessInfo = 11,
  // varint tick. Everything recorded so far is flushed: the process exited
  // (or is about to exec). Its absence means the trace was cut short. Events
  // may follow it (the exec failed; libraries' destructors ran after the
  // flush), each batch closed by another End: the last one is the end.
  kEnd = 12,
  // The same events as kThreadEvents, split into columns so that like
  // compresses with like, with addresses coded by reference: varint thread,
  // varint event_count, then 4 x varint byte_count (ticks, sizes,
  // addresses, stacks), then event_count tag bytes, then the four columns:
  // each event's fields (see FieldsOf), in its column, in event order,
  // encoded as in kThreadEvents except the address, a varint r:
  //   - r = 0: an svarint follows, the address minus the previous event's
  //     (as in kThreadEvents: a run of fresh blocks often has one stride);
  //   - an allocation's r >= 1: the address of the thread's r-th most recent
  //     release (kFree, kFreeWithStack), r <= kAddressWindow: allocators
  //     hand out again what the thread just freed;
  //   - a release's or kReallocFailed's r >= 1: the address of the thread's
  //     r-th most recent allocation, r <= kAddressWindow.
  // "Recent" counts every event of the thread in kThreadEventColumns
  // records since its kThreadStart, never events sent as rows. The delta
  // state carries on across both record types (the last address is the
  // last event's). Written since version 3, by reference since version 6;
  // since version 8 the writer writes kThreadEventColumnsApart instead.
  kThreadEventColumns = 13,
  // Blocks classified by reachability as valgrind's memcheck classifies
  // them (preload/reachability.h), those live at exit or at a snapshot of
  // source kSignalWithLeaks: varint tick (the snapshot's, or the scan's at
  // exit), varint pause_ns (how long the program was stopped for it: 0 at
  // exit), varint count, then count x
  //   { varint address_delta, byte LeakKind | LeakHeuristic << 2 }
  // in ascending address order, address_delta from the previous address (0
  // for the first). A snapshot's record comes in a later chunk than the
  // snapshot. A block live at that moment but not listed has no kind
  // (allocated after the scan began). Written since version 4.
  kLeakKinds = 14,
  // The CPython interpreter whose frames stacks hold (see "Python frames"
  // below): varint version (its PY_VERSION_HEX), varint runtime_address
  // (of its _PyRuntime: the module that maps it is the interpreter's, whose
  // own native frames run Python code and its allocations). Written once,
  // before the first kPythonCode. Since version 5.
  kPythonInterpreter = 15,
  // A Python code object, written in the round that writes the first stack
  // node with one of its frames or in a later one (resolve Python frames
  // once the whole trace is read): varint code_id (1, 2, 3...: a code object
  // freed and another made at its address gets a new one), varint first_line, string file,
  // string qualified_name, varint line_table_size (<=
  // kMaxPythonLineTableSize), that many bytes of its co_linetable (the
  // location table of PEP 626/657, the same format in 3.11 to 3.13; since
  // version 7 the writer drops its columns, in the same format: every
  // offset keeps its line). Strings are UTF-8. Since version 5.
  kPythonCode = 16,
  // The column bytes of the chunk's kThreadEventColumnsApart records, kept
  // apart so that zstd meets each thread's column whole, not a piece per
  // round among the others: varint section_count (<= kMaxColumnSections),
  // then section_count x { varint thread, 5 x varint byte_count (tags,
  // ticks, sizes, addresses, stacks) }, then each section's bytes in that
  // order, its five columns one after the other. At most one per chunk,
  // before the records that take from it; one section per thread. Since
  // version 8.
  kColumnSections = 17,
  // A kThreadEventColumns record without its bytes: varint thread, varint
  // event_count, then 4 x varint byte_count, as kThreadEventColumns. Its
  // tags and columns are the next event_count and byte_count bytes of each
  // column of its thread's section in the chunk's kColumnSections. Since
  // version 8.
  kThreadEventColumnsApart = 18,
};

// See "Rounded ticks" above.
inline constexpr uint64_t kTickQuantum = 1024;

// How far back kThreadEventColumns' address references reach.
inline constexpr uint32_t kAddressWindow = 4096;

// Python frames. A stack node whose ip has kPythonFrameBit set is a frame
// of Python code, not a machine address: bits 32-62 are the code_id of its
// kPythonCode, bits 0-31 the byte offset of the instruction it was running
// in the code object's bytecode, plus 2: 3.11 and 3.12 keep the instruction
// last begun, -1 code unit (-2 bytes) before the first one runs; 3.13 the
// one running. In a stack, the Python
// frames an activation of the interpreter's eval loop ran replace that
// native frame, innermost first, so that Python and native frames
// interleave as they called each other. User-space addresses never have
// bit 63 set.
inline constexpr uint64_t kPythonFrameBit = uint64_t{1} << 63;
inline constexpr uint32_t kMaxPythonCodeId = (1u << 31) - 1;

constexpr uint64_t MakePythonFrameIp(uint32_t code_id, uint32_t offset_plus_2) {
  return kPythonFrameBit | uint64_t{code_id} << 32 | offset_plus_2;
}
constexpr bool IsPythonFrameIp(uint64_t ip) { return (ip & kPythonFrameBit) != 0; }
constexpr uint32_t PythonCodeIdOf(uint64_t ip) {
  return static_cast<uint32_t>((ip & ~kPythonFrameBit) >> 32);
}
// The instruction's byte offset in the code object's bytecode (-2: none yet).
constexpr int64_t PythonOffsetOf(uint64_t ip) {
  return int64_t{static_cast<uint32_t>(ip)} - 2;
}

// How a block live at exit is reached (memcheck's "loss record" kinds).
enum class LeakKind : uint8_t {
  kReachable = 0,  // a chain of start pointers from a root
  kPossible = 1,   // reached only through an interior pointer
  kIndirect = 2,   // unreached, pointed to by another unreached block
  kDefinite = 3,   // unreached, and nothing unreached points to it
};

// A reachable block found through an interior pointer that one of
// memcheck's heuristics takes for a start pointer.
enum class LeakHeuristic : uint8_t {
  kNone = 0,
  kStdString = 1,
  kLength64 = 2,
  kNewArray = 3,
  kMultipleInheritance = 4,
};

enum class SnapshotSource : uint8_t {
  kSignal = 0,
  kApi = 1,
  kInterval = 2,
  kSignalWithLeaks = 3,  // the signal, asking for the blocks' leak kinds too
};

// ---------------------------------------------------------------------------
// Thread event records (inside kThreadEvents)
// ---------------------------------------------------------------------------
//
// One tag byte: the high nibble is the EventTag, the low nibble the kind.
//   kAlloc:  varint dtick, varint size, svarint address_delta, varint stack_id
//   kFree:   varint dtick, svarint address_delta
//   kReallocFailed: varint dtick, svarint address_delta  (low nibble 0)
//   kFreeWithStack: varint dtick, svarint address_delta, varint stack_id
//     (a kFree that carries the releasing stack: only when the program runs
//     with HEAPTRAIL_FREE_STACKS=1, since a stack per release costs time)
// dtick is the tick minus the previous event's tick on this thread (the first
// event's is relative to 0). address_delta is the address minus the previous
// address on this thread (initially 0).
//
// realloc(p, n) -> q is recorded as kFree(p, kind kRealloc), published before
// the call, then kAlloc(q, kind kRealloc). If realloc fails and p stays valid,
// kReallocFailed(p) follows the kFree instead, and p is live again with its
// former size and stack. realloc(NULL, n) is just the kAlloc.
enum class EventTag : uint8_t {
  kAlloc = 1,
  kFree = 2,
  kReallocFailed = 3,
  kFreeWithStack = 4,
};

// The fields that follow a tag, as bits, in their record order (which is
// also the order of kThreadEventColumns' columns); 0 for an unknown tag.
enum EventField : uint8_t {
  kFieldTick = 1,
  kFieldSize = 2,
  kFieldAddress = 4,
  kFieldStack = 8,
};
inline constexpr int kEventFieldCount = 4;

constexpr uint8_t FieldsOf(EventTag tag) {
  switch (tag) {
    case EventTag::kAlloc: return kFieldTick | kFieldSize | kFieldAddress | kFieldStack;
    case EventTag::kFree:
    case EventTag::kReallocFailed: return kFieldTick | kFieldAddress;
    case EventTag::kFreeWithStack: return kFieldTick | kFieldAddress | kFieldStack;
  }
  return 0;
}

enum class AllocKind : uint8_t {
  kMalloc = 0,
  kCalloc = 1,
  kRealloc = 2,
  kReallocArray = 3,
  kPosixMemalign = 4,
  kAlignedAlloc = 5,
  kMemalign = 6,
  kValloc = 7,
  kPvalloc = 8,
  kNew = 9,                // operator new (every non-array, non-aligned form)
  kNewArray = 10,          // operator new[]
  kNewAligned = 11,        // operator new(size_t, align_val_t, ...)
  kNewArrayAligned = 12,   // operator new[](size_t, align_val_t, ...)
};
inline constexpr uint8_t kAllocKindCount = 13;

enum class FreeKind : uint8_t {
  kFree = 0,
  kFreeSized = 1,
  kFreeAlignedSized = 2,
  kRealloc = 3,             // the release half of a realloc
  kDelete = 4,              // operator delete (plain and sized)
  kDeleteArray = 5,         // operator delete[] (plain and sized)
  kDeleteAligned = 6,
  kDeleteArrayAligned = 7,
};
inline constexpr uint8_t kFreeKindCount = 8;

constexpr uint8_t MakeEventTag(EventTag tag, uint8_t kind) {
  return static_cast<uint8_t>(static_cast<uint8_t>(tag) << 4 | (kind & 0xf));
}
constexpr EventTag EventTagOf(uint8_t byte) {
  return static_cast<EventTag>(byte >> 4);
}
constexpr uint8_t EventKindOf(uint8_t byte) { return byte & 0xf; }

// The allocation families that must be released by their own counterparts.
enum class Family : uint8_t { kMalloc, kNew, kNewArray, kNewAligned, kNewArrayAligned };

constexpr Family FamilyOf(AllocKind kind) {
  switch (kind) {
    case AllocKind::kNew: return Family::kNew;
    case AllocKind::kNewArray: return Family::kNewArray;
    case AllocKind::kNewAligned: return Family::kNewAligned;
    case AllocKind::kNewArrayAligned: return Family::kNewArrayAligned;
    default: return Family::kMalloc;
  }
}

constexpr Family FamilyOf(FreeKind kind) {
  switch (kind) {
    case FreeKind::kDelete: return Family::kNew;
    case FreeKind::kDeleteArray: return Family::kNewArray;
    case FreeKind::kDeleteAligned: return Family::kNewAligned;
    case FreeKind::kDeleteArrayAligned: return Family::kNewArrayAligned;
    default: return Family::kMalloc;
  }
}

// True when a block allocated with `alloc` may be released with `release`;
// false is a mismatched free (e.g. new[] released by free or delete).
constexpr bool IsMatchingRelease(AllocKind alloc, FreeKind release) {
  return FamilyOf(alloc) == FamilyOf(release);
}

}  // namespace heaptrail::format

#endif  // HEAPTRAIL_TRACE_FORMAT_H_
