// AppendEventColumns: one scan of the row bytes that copies each field into
// its column in a scratch buffer, then the columns into the chunk.

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
static_assert(format::kFieldAddress == 1 << (kAddressColumn - 1));

// The end of the varint at `p`, or `end` + 1 if it runs past `end`.
const uint8_t* SkipVarint(const uint8_t* p, const uint8_t* end) {
  while (p < end && (*p & 0x80) != 0) ++p;
  return p + 1;
}

// The varint at `p`, which SkipVarint() found whole.
uint64_t ReadVarint(const uint8_t* p) {
  uint64_t value = 0;
  int shift = 0;
  while ((*p & 0x80) != 0) {
    value |= uint64_t{*p++ & 0x7fu} << shift;
    shift += 7;
  }
  return value | uint64_t{*p} << shift;
}

// The svarint at `p`, which SkipVarint() found whole.
uint64_t ReadSvarint(const uint8_t* p) {
  uint64_t value = ReadVarint(p);
  return (value >> 1) ^ (~(value & 1) + 1);
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
  auto* const addresses = reinterpret_cast<uint64_t*>(base + (-reinterpret_cast<uintptr_t>(base) & 7));
  size_t address_count = 0;
  uint64_t exact_tick = state.tick;    // as the rows count
  uint64_t written_tick = state.tick;  // as the columns say
  uint64_t last_address = state.address;
  const uint8_t* end = bytes + size;
  for (const uint8_t* p = bytes; p < end;) {
    uint8_t fields = format::FieldsOf(format::EventTagOf(*p));
    if (fields == 0) return false;
    *column[0]++ = *p++;
    for (int field = 0; field < format::kEventFieldCount; ++field) {
      if ((fields & (1 << field)) == 0) continue;
      const uint8_t* next = SkipVarint(p, end);
      if (next > end || next - p > static_cast<ptrdiff_t>(kMaxVarintSize)) return false;
      if (1 + field == kTickColumn) {
        exact_tick += ReadVarint(p);
      } else if (1 + field == kAddressColumn) {
        last_address += ReadSvarint(p);
        addresses[address_count++] = last_address;
      } else {
        do {
          *column[1 + field]++ = *p;
        } while (++p < next);
      }
      p = next;
    }
    // The last event's tick stays exact: rows, should they follow, count
    // from it.
    uint64_t tick = exact_tick;
    if (exact_tick > rounding.from && exact_tick < rounding.to && p != end) {
      tick = std::max({exact_tick & ~(format::kTickQuantum - 1), rounding.from + 1, written_tick});
    }
    column[kTickColumn] = PutVarint(column[kTickColumn], tick - written_tick);
    written_tick = tick;
  }
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

}  // namespace heaptrail::preload
