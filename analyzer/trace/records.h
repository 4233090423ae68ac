// Typed forms of the trace's records (see include/heaptrail/trace_format.h),
// as the record decoder hands them on, and the Event that flows from the
// decoder through the event merger into the heap model.
//
// Threads are identified by a dense "slot" (0, 1, 2... in order of first
// appearance) assigned by the decoder, so that everything downstream can
// index vectors instead of hashing the recorder's thread index.
//
// Thread-safety: plain values.

#ifndef HEAPTRAIL_ANALYZER_TRACE_RECORDS_H_
#define HEAPTRAIL_ANALYZER_TRACE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "heaptrail/trace_format.h"
#include "trace/module_info.h"

namespace heaptrail::analyzer {

// The analysis pipeline's threads (records.h's events pass between them)
// keep the state each writes on cache lines of its own, aligned to this.
inline constexpr size_t kCacheLine = 64;

enum class EventType : uint8_t {
  kAlloc,
  kFree,
  kReallocFailed,
  kSnapshot,  // a pseudo-event: a snapshot replayed at its place in the order
};

// One heap event, or a snapshot pseudo-event. Kept to 32 bytes: the merger
// buffers a whole round of these, and every event is copied from stage to
// stage and from core to core.
struct Event {
  // Sizes fit 56 bits: no block is larger than the address space (56 bits
  // with five-level paging).
  static constexpr uint64_t kMaxSize = (uint64_t{1} << 56) - 1;

  uint64_t tick = 0;     // relative to FileHeader::start_tick
  uint64_t address = 0;  // kAlloc, kFree, kReallocFailed
  uint64_t size : 56 = 0;  // kAlloc: bytes; kSnapshot: index of its record
  EventType type : 4 = EventType::kAlloc;
  // kAlloc: format::AllocKind; kFree: format::FreeKind (a tag's 4 bits);
  // kSnapshot: 1 when it asked for leak kinds.
  uint8_t kind : 4 = 0;
  uint32_t stack_id = 0;  // kAlloc, kFree: innermost stack node (0: none)
  uint32_t thread = 0;    // dense thread slot; unused for kSnapshot
};
static_assert(sizeof(Event) == 32);

struct ThreadStartRecord {
  uint32_t thread = 0;        // dense slot
  uint32_t thread_index = 0;  // as recorded
  uint64_t os_tid = 0;
  uint64_t tick = 0;
};

struct ThreadEndRecord {
  uint32_t thread = 0;        // dense slot
  uint32_t thread_index = 0;  // as recorded
  uint64_t tick = 0;
  std::string name;
};

struct StackNode {
  uint32_t parent = 0;
  uint32_t epoch = 0;
  uint64_t ip = 0;
};

struct StackNodesRecord {
  uint32_t first_id = 0;
  std::vector<StackNode> nodes;
};

struct ModuleLoadRecord {
  uint64_t module_id = 0;
  uint32_t epoch = 0;  // first epoch in which it is mapped
  ModuleInfo info;
};

struct ModuleUnloadRecord {
  uint64_t module_id = 0;
  uint32_t epoch = 0;  // first epoch in which it is gone
};

struct ClockSyncRecord {
  uint64_t tick = 0;
  uint64_t mono_ns = 0;  // relative to FileHeader::start_mono_ns
};

struct RssRecord {
  uint64_t tick = 0;
  uint64_t rss_bytes = 0;
};

struct SnapshotRecord {
  uint64_t tick = 0;
  format::SnapshotSource source = format::SnapshotSource::kSignal;
  std::string label;
};

// kLeakKinds: the reachability of the blocks live at exit or at a snapshot.
struct LeakKindsRecord {
  uint64_t tick = 0;
  uint64_t pause_ns = 0;
  std::vector<uint64_t> addresses;  // ascending
  std::vector<uint8_t> kinds;       // LeakKind | LeakHeuristic << 2
};

// kPythonInterpreter: the CPython whose frames stacks hold.
struct PythonInterpreterRecord {
  uint32_t version = 0;          // PY_VERSION_HEX, e.g. 0x030b02f0
  uint64_t runtime_address = 0;  // of _PyRuntime, inside the interpreter
  bool operator==(const PythonInterpreterRecord&) const = default;
};

// A Python code object as kPythonCode records it: what its frames need to
// become file, function and line.
struct PythonCode {
  uint32_t first_line = 0;          // co_firstlineno
  std::string file;                 // co_filename, UTF-8
  std::string qualified_name;       // co_qualname, UTF-8
  std::vector<uint8_t> line_table;  // co_linetable (PEP 626/657 format)
  bool operator==(const PythonCode&) const = default;
};

struct PythonCodeRecord {
  uint32_t code_id = 0;  // 1..format::kMaxPythonCodeId
  PythonCode code;
};

struct ProcessInfoRecord {
  std::string executable;
  std::vector<std::string> argv;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_RECORDS_H_
