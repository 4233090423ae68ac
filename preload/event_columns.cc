// AppendEventColumns: one scan of the row bytes that copies each field into
// its column in a scratch buffer, then the columns into the chunk.
// The column sections: a thread's records copied column by column.

#include "event_columns.h"

#include <algorithm>
#include <cstring>

#include "address_coder.h"
#include "byte_writer.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::preload {
namespace {

// Column 0 holds the tags, column 1 + i the field with bit (1 << i).
constexpr int kColumns = 1 + format::kEventFieldCount;
constexpr int kTickColumn = 1;     // 1 + log2(kFieldTick)
constexpr int kAddressColumn = 3;  // 1 + log2(kFieldAddress)
static_assert(format::kFieldTick == 1 << (kTickColumn - 1));
static_assert(format::kFieldSize == 1 << 1 && format::kFieldStack == 1 << 3);
static_assert(format::kFieldAddress == 1 << (kAddressColumn - 1));

// Reads the varint at `p` into `value` and moves `p` past it; false when it
// runs past `end` or is longer than a varint can be.
inline bool TakeVarint(const uint8_t*& p, const uint8_t* end, uint64_t& value) {
  value = 0;
  for (int shift = 0; p < end && shift < 7 * static_cast<int>(kMaxVarintSize); shift += 7) {
    uint8_t byte = *p++;
    value |= uint64_t{byte & 0x7fu} << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

// Copies the varint at `p` to `out`, moving both past it; false as above.
inline bool CopyVarint(const uint8_t*& p, const uint8_t* end, uint8_t*& out) {
  const uint8_t* limit = std::min(end, p + kMaxVarintSize);
  while (p < limit) {
    uint8_t byte = *p++;
    *out++ = byte;
    if (byte < 0x80) return true;
  }
  return false;
}

}  // namespace

bool AppendEventColumns(ChunkBuilder& chunk, ChunkBuilder& scratch, uint64_t thread,
                        const uint8_t* bytes, size_t size, ColumnState& state,
                        TickRounding rounding) {
  if (!state.coder.Ready()) return false;
  // One scan: each field goes to its column in `scratch`, which has room for
  // the worst case of each (an event is at least a tag, a tick and an
  // address byte: at most size / 3 events, each with a rounded tick and an
  // address field at most 2 bytes longer than the row's), the addresses
  // first to an array of their own, coded once the rows are known to be
  // whole.
  const size_t room[kColumns] = {size, 2 * size, size, 2 * size, size};
  scratch.Clear();
  uint8_t* column_start[kColumns];
  uint8_t* column[kColumns];
  uint8_t* base = scratch.Reserve(7 * size + 8 * (size / 3 + 2));
  if (base == nullptr) return false;
  for (int i = 0; i < kColumns; ++i) {
    column_start[i] = column[i] = base;
    base += room[i];
  }
  // The scratch starts on a page: align the array past the columns.
  auto* const addresses =
      reinterpret_cast<uint64_t*>(base + (-reinterpret_cast<uintptr_t>(base) & 7));
  size_t address_count = 0;
  uint64_t exact_tick = state.tick;    // as the rows count
  uint64_t written_tick = state.tick;  // as the columns say
  uint64_t last_address = state.address;
  const uint8_t* end = bytes + size;
  uint8_t* tags = column[0];
  uint8_t* ticks = column[kTickColumn];
  uint8_t* sizes = column[2];
  uint8_t* stacks = column[4];
  // Fields in their record order: tick, size, address, stack (FieldsOf).
  const uint8_t* p = bytes;
  while (p < end) {
    const uint8_t tag_byte = *p++;
    const format::EventTag tag = format::EventTagOf(tag_byte);
    const uint8_t fields = format::FieldsOf(tag);
    if (fields == 0) return false;
    *tags++ = tag_byte;
    uint64_t dtick, delta;
    if (!TakeVarint(p, end, dtick)) return false;
    if ((fields & format::kFieldSize) != 0 && !CopyVarint(p, end, sizes)) return false;
    if (!TakeVarint(p, end, delta)) return false;
    if ((fields & format::kFieldStack) != 0 && !CopyVarint(p, end, stacks)) return false;
    exact_tick += dtick;
    last_address += (delta >> 1) ^ (~(delta & 1) + 1);  // zigzag
    addresses[address_count++] = last_address;
    // The last event's tick stays exact: rows, should they follow, count
    // from it.
    uint64_t tick = exact_tick;
    if (exact_tick > rounding.from && exact_tick < rounding.to && p != end) {
      tick = std::max({exact_tick & ~(format::kTickQuantum - 1), rounding.from + 1, written_tick});
    }
    ticks = PutVarint(ticks, tick - written_tick);
    written_tick = tick;
  }
  column[0] = tags;
  column[kTickColumn] = ticks;
  column[2] = sizes;
  column[4] = stacks;
  column[kAddressColumn] =
      state.coder.PutAddresses(column[kAddressColumn], column_start[0], addresses, address_count,
                               state.address);

  size_t total = 0;
  for (int i = 0; i < kColumns; ++i) total += column[i] - column_start[i];
  uint8_t* out = chunk.Reserve(1 + (1 + kColumns) * kMaxVarintSize + total);
  if (out == nullptr) return false;
  *out++ = static_cast<uint8_t>(format::RecordType::kThreadEventColumns);
  out = PutVarint(out, thread);
  for (int i = 0; i < kColumns; ++i) out = PutVarint(out, column[i] - column_start[i]);
  for (int i = 0; i < kColumns; ++i) {
    std::memcpy(out, column_start[i], column[i] - column_start[i]);
    out += column[i] - column_start[i];
  }
  chunk.Commit(out);
  state.tick = exact_tick;
  state.address = last_address;
  return true;
}

namespace {

// The header of one kThreadEventColumns record, and where its columns start.
struct ColumnRecord {
  uint64_t thread;
  uint64_t length[kColumns];  // tags first: one byte per event
  const uint8_t* columns;
  const uint8_t* end;
};

// Reads the record at `p`; false when it is not a whole one.
bool ReadColumnRecord(const uint8_t* p, const uint8_t* end, ColumnRecord& record) {
  if (p == end || *p++ != static_cast<uint8_t>(format::RecordType::kThreadEventColumns)) {
    return false;
  }
  if (!TakeVarint(p, end, record.thread)) return false;
  uint64_t total = 0;
  for (uint64_t& length : record.length) {
    if (!TakeVarint(p, end, length) || length > static_cast<uint64_t>(end - p)) return false;
    total += length;
  }
  if (total > static_cast<uint64_t>(end - p)) return false;
  record.columns = p;
  record.end = p + total;
  return true;
}

// The thread and the summed column lengths of `records`; false when they do
// not parse or belong to two threads.
bool SumColumnRecords(const uint8_t* records, size_t size, uint64_t& thread,
                      uint64_t (&length)[kColumns]) {
  const uint8_t* const end = records + size;
  ColumnRecord record;
  thread = 0;
  for (uint64_t& column_length : length) column_length = 0;
  for (const uint8_t* p = records; p != end; p = record.end) {
    if (!ReadColumnRecord(p, end, record)) return false;
    if (p != records && record.thread != thread) return false;
    thread = record.thread;
    for (int i = 0; i < kColumns; ++i) length[i] += record.length[i];
  }
  return true;
}

// Thread and lengths, as both headers have them, after `type` if any.
bool PutColumnLengths(ChunkBuilder& chunk, const uint8_t* records, size_t size,
                      const format::RecordType* type) {
  uint64_t thread, length[kColumns];
  if (!SumColumnRecords(records, size, thread, length)) return false;
  uint8_t* out = chunk.Reserve(1 + (1 + kColumns) * kMaxVarintSize);
  if (out == nullptr) return false;
  if (type != nullptr) *out++ = static_cast<uint8_t>(*type);
  out = PutVarint(out, thread);
  for (uint64_t column_length : length) out = PutVarint(out, column_length);
  chunk.Commit(out);
  return true;
}

}  // namespace

bool PutColumnsApartHeader(ChunkBuilder& chunk, const uint8_t* records, size_t size) {
  const format::RecordType type = format::RecordType::kThreadEventColumnsApart;
  return PutColumnLengths(chunk, records, size, &type);
}

bool PutColumnSectionHeader(ChunkBuilder& chunk, const uint8_t* records, size_t size) {
  return PutColumnLengths(chunk, records, size, nullptr);
}

bool AppendColumnSection(ChunkBuilder& chunk, const uint8_t* records, size_t size) {
  uint64_t thread, length[kColumns];
  if (!SumColumnRecords(records, size, thread, length)) return false;
  uint8_t* out = chunk.Reserve(size);
  if (out == nullptr) return false;
  const uint8_t* const end = records + size;
  ColumnRecord record;
  for (int i = 0; i < kColumns; ++i) {
    for (const uint8_t* p = records; p != end; p = record.end) {
      ReadColumnRecord(p, end, record);  // read whole above
      const uint8_t* column = record.columns;
      for (int j = 0; j < i; ++j) column += record.length[j];
      std::memcpy(out, column, record.length[i]);
      out += record.length[i];
    }
  }
  chunk.Commit(out);
  return true;
}

}  // namespace heaptrail::preload
