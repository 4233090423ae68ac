// The code-object table and its records (see python_code_registry.h).

#include "python_code_registry.h"

#include <sched.h>

#include <atomic>
#include <cstring>

#include "byte_writer.h"
#include "memory_loads.h"
#include "private_heap.h"
#include "strip_python_columns.h"

namespace heaptrail::preload {
namespace {

struct CodeSlot {
  std::atomic<uintptr_t> address;  // 0: free; published last, with release
  uint64_t fingerprint;
  uint32_t code_id;
};

// Room for ~190,000 code objects at three quarters full; a program that
// makes more (exec() in a loop) records native frames for the rest.
constexpr uint32_t kSlotCount = 1u << 18;
constexpr uint32_t kMaxProbes = 64;
// Each record is kept here, behind its uint32 size, for the writer.
constexpr size_t kRecordSpace = size_t{256} << 20;
// The writer cuts the records of one round into chunks of about this much.
constexpr size_t kRecordsPerChunk = size_t{2} << 20;
constexpr uint32_t kMaxName = format::kMaxStringSize;

constinit PythonInterpreter python = {};
constinit CodeSlot* slots = nullptr;
constinit uint8_t* records = nullptr;
constinit std::atomic<size_t> records_end{0};  // published, with release
constinit std::atomic<bool> insert_lock{false};
constinit uint32_t next_code_id = 1;  // under insert_lock
// The writer's state.
constinit size_t records_written = 0;
constinit bool interpreter_written = false;

uint64_t Mix(uint64_t h, uint64_t value) {
  h ^= value + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h * 0xC2B2AE3D27D4EB4Full;
}

uint32_t SlotOf(uintptr_t code, uint64_t fingerprint) {
  return static_cast<uint32_t>(Mix(code, fingerprint) >> 32) & (kSlotCount - 1);
}

// The slot holding (code, fingerprint), or the free slot where it belongs;
// null when neither is within reach.
CodeSlot* Probe(uintptr_t code, uint64_t fingerprint) {
  uint32_t at = SlotOf(code, fingerprint);
  for (uint32_t probe = 0; probe < kMaxProbes; ++probe, at = (at + 1) & (kSlotCount - 1)) {
    CodeSlot& slot = slots[at];
    // Matched by the release store in Insert(): the other fields are set.
    uintptr_t address = slot.address.load(std::memory_order_acquire);
    if (address == 0 || (address == code && slot.fingerprint == fingerprint)) return &slot;
  }
  return nullptr;
}

bool IsObjectOf(uintptr_t object, uintptr_t type) {
  return object != 0 && object % 8 == 0 && Load64(object + 8) == type;
}

uint8_t* PutUtf8(uint8_t* out, uint32_t c) {
  if (c < 0x80) {
    *out++ = static_cast<uint8_t>(c);
  } else if (c < 0x800) {
    *out++ = static_cast<uint8_t>(0xC0 | c >> 6);
    *out++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *out++ = static_cast<uint8_t>(0xE0 | c >> 12);
    *out++ = static_cast<uint8_t>(0x80 | (c >> 6 & 0x3F));
    *out++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
  } else {
    *out++ = static_cast<uint8_t>(0xF0 | (c >> 18 & 0x07));
    *out++ = static_cast<uint8_t>(0x80 | (c >> 12 & 0x3F));
    *out++ = static_cast<uint8_t>(0x80 | (c >> 6 & 0x3F));
    *out++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
  }
  return out;
}

// Writes the str at `object` as a string (UTF-8, at most kMaxName bytes),
// "?" when it is not a compact str.
uint8_t* PutPythonString(uint8_t* out, uintptr_t object) {
  uint8_t text[kMaxName];
  size_t size = 0;
  if (IsObjectOf(object, python.unicode_type)) {
    // PyASCIIObject: length at 16, the state bit field at 32.
    uint64_t length = Load64(object + 16);
    uint32_t state = Load32(object + 32);
    uint32_t kind = state >> 2 & 7;
    bool compact = state >> 5 & 1, ascii = state >> 6 & 1;
    if (compact && (kind == 1 || kind == 2 || kind == 4)) {
      uintptr_t data = object + (ascii ? python.layout->ascii_data : python.layout->compact_data);
      for (uint64_t i = 0; i < length && size + 4 <= kMaxName; ++i) {
        uint32_t c = kind == 1   ? reinterpret_cast<const uint8_t*>(data)[i]
                     : kind == 2 ? reinterpret_cast<const uint16_t*>(data)[i]
                                 : reinterpret_cast<const uint32_t*>(data)[i];
        // A lone surrogate (a file name decoded with surrogateescape) is
        // not UTF-8: U+FFFD stands for it.
        if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;
        size = PutUtf8(text + size, c) - text;
      }
    }
  }
  if (size == 0) text[size++] = '?';
  return PutString(out, std::string_view(reinterpret_cast<const char*>(text), size), kMaxName);
}

// Copies the record of `code` as number `code_id` behind the published
// records; false when there is no room.
bool AppendRecord(uintptr_t code, uint32_t code_id) {
  const PythonLayout& layout = *python.layout;
  uintptr_t table = Load64(code + layout.code_linetable);
  uint64_t table_size = 0;
  if (IsObjectOf(table, python.bytes_type)) {
    table_size = Load64(table + 16);  // PyBytesObject: ob_size at 16, bytes at 32
    if (table_size > format::kMaxPythonLineTableSize) table_size = 0;
  }
  size_t end = records_end.load(std::memory_order_relaxed);
  size_t most = sizeof(uint32_t) + 1 + 4 * kMaxVarintSize + 2 * kMaxName + table_size;
  if (end + most > kRecordSpace) return false;
  uint8_t* start = records + end;
  uint8_t* out = start + sizeof(uint32_t);
  *out++ = static_cast<uint8_t>(format::RecordType::kPythonCode);
  out = PutVarint(out, code_id);
  int32_t first_line = static_cast<int32_t>(Load32(code + layout.code_first_line));
  out = PutVarint(out, first_line > 0 ? static_cast<uint32_t>(first_line) : 0);
  out = PutPythonString(out, Load64(code + layout.code_filename));
  out = PutPythonString(out, Load64(code + layout.code_qualname));
  // The lines only, behind room for their size, then moved up to it.
  uint8_t* lines = out + kMaxVarintSize;
  size_t lines_size =
      StripPythonColumns(reinterpret_cast<const uint8_t*>(table + 32), table_size, lines);
  out = PutVarint(out, lines_size);
  std::memmove(out, lines, lines_size);
  out += lines_size;
  uint32_t size = static_cast<uint32_t>(out - start - sizeof(uint32_t));
  std::memcpy(start, &size, sizeof(size));
  // Matched by the acquire load in EmitPythonRecords().
  records_end.store(end + (out - start), std::memory_order_release);
  return true;
}

uint32_t Insert(uintptr_t code, uint64_t fingerprint) {
  bool expected = false;
  while (!insert_lock.compare_exchange_weak(expected, true, std::memory_order_acquire)) {
    expected = false;
    sched_yield();
  }
  uint32_t code_id = 0;
  CodeSlot* slot = Probe(code, fingerprint);  // another thread may have inserted it
  if (slot != nullptr && slot->address.load(std::memory_order_relaxed) == code) {
    code_id = slot->code_id;
  } else if (slot != nullptr && next_code_id <= format::kMaxPythonCodeId) {
    // The number is taken first: a fork in the middle leaves the child an
    // unused number or a record no slot names, never one number twice.
    uint32_t candidate = next_code_id++;
    if (AppendRecord(code, candidate)) {
      code_id = candidate;
      slot->fingerprint = fingerprint;
      slot->code_id = code_id;
      slot->address.store(code, std::memory_order_release);
    }
  }
  insert_lock.store(false, std::memory_order_release);
  return code_id;
}

}  // namespace

bool InitPythonCodeRegistry(const PythonInterpreter& interpreter) {
  python = interpreter;
  slots = static_cast<CodeSlot*>(AllocatePages(sizeof(CodeSlot) * size_t{kSlotCount}));
  records = static_cast<uint8_t*>(AllocatePages(kRecordSpace));
  return slots != nullptr && records != nullptr;
}

uint64_t PythonCodeFingerprint(uintptr_t code) {
  const PythonLayout& layout = *python.layout;
  if (layout.code_version >= 0) {
    uint32_t version = Load32(code + layout.code_version);
    if (version != 0) return version;  // 0: the counter ran out
  }
  // 3.11 has no such counter. A code object freed frees its line table too,
  // and both addresses can come back together for other content: so the
  // content counts, cheaply. The line table's size and its first and last
  // 16 bytes (a line number moved changes them), the names' cached str
  // hashes (their addresses stay when they are interned), the first line
  // and the code's size.
  uint64_t h = Mix(Load64(code + layout.code_size), Load32(code + layout.code_first_line));
  uintptr_t table = Load64(code + layout.code_linetable);
  if (IsObjectOf(table, python.bytes_type)) {
    uint64_t size = Load64(table + 16);  // PyBytesObject: ob_size at 16, bytes at 32
    h = Mix(h, size);
    if (size >= 16) {
      h = Mix(h, Load64(table + 32));
      h = Mix(h, Load64(table + 40));
      h = Mix(h, Load64(table + 32 + size - 16));
      h = Mix(h, Load64(table + 32 + size - 8));
    } else {
      for (uint64_t i = 0; i < size; ++i) h = Mix(h, Load8(table + 32 + i));
    }
  }
  for (int name : {layout.code_qualname, layout.code_filename}) {
    uintptr_t text = Load64(code + name);
    h = Mix(h, text);
    if (IsObjectOf(text, python.unicode_type)) h = Mix(h, Load64(text + 24));  // its hash, or -1
  }
  return h;
}

uint32_t InternPythonCode(uintptr_t code, uint64_t fingerprint) {
  CodeSlot* slot = Probe(code, fingerprint);
  if (slot == nullptr) return 0;
  // Matched by the release store in Insert(): the slot may have been filled
  // since Probe() found it free.
  if (slot->address.load(std::memory_order_acquire) == code) return slot->code_id;
  return Insert(code, fingerprint);
}

bool EmitPythonRecords(ChunkBuilder& chunk) {
  // Matched by the release store in AppendRecord().
  size_t end = records_end.load(std::memory_order_acquire);
  if (records_written == end) return false;
  if (!interpreter_written) {
    chunk.PutRecordType(format::RecordType::kPythonInterpreter);
    chunk.PutVarint(python.version);
    chunk.PutVarint(python.runtime);
    interpreter_written = true;
  }
  size_t budget = kRecordsPerChunk;
  while (records_written < end && budget > 0) {
    uint32_t size;
    std::memcpy(&size, records + records_written, sizeof(size));
    chunk.Append(records + records_written + sizeof(size), size);
    records_written += sizeof(size) + size;
    budget = size < budget ? budget - size : 0;
  }
  return records_written < end;
}

void ResetPythonRecordsAfterFork() {
  insert_lock.store(false, std::memory_order_relaxed);
  records_written = 0;
  interpreter_written = false;
}

}  // namespace heaptrail::preload
