// AppendEventColumns: two scans of the row bytes, one to size the columns
// and one to copy each field into its column.

#include "event_columns.h"

#include <cstring>

#include "byte_writer.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::preload {
namespace {

// Column 0 holds the tags, column 1 + i the field with bit (1 << i).
constexpr int kColumns = 1 + format::kEventFieldCount;
constexpr int kAddressColumn = 3;  // 1 + log2(kFieldAddress)
static_assert(format::kFieldAddress == 1 << (kAddressColumn - 1));

// The end of the varint at `p`, or `end` + 1 if it runs past `end`.
const uint8_t* SkipVarint(const uint8_t* p, const uint8_t* end) {
  while (p < end && (*p & 0x80) != 0) ++p;
  return p + 1;
}

uint64_t ReadSvarint(const uint8_t*& p) {
  uint64_t value = 0;
  int shift = 0;
  while ((*p & 0x80) != 0) {
    value |= uint64_t{*p++ & 0x7fu} << shift;
    shift += 7;
  }
  value |= uint64_t{*p++} << shift;
  return (value >> 1) ^ (~(value & 1) + 1);
}

}  // namespace

bool AppendEventColumns(ChunkBuilder& chunk, uint64_t thread, const uint8_t* bytes,
                        size_t size, uint64_t& address) {
  const uint8_t* end = bytes + size;
  size_t lengths[kColumns] = {};
  for (const uint8_t* p = bytes; p < end;) {
    uint8_t fields = format::FieldsOf(format::EventTagOf(*p++));
    if (fields == 0) return false;
    ++lengths[0];
    for (int field = 0; field < format::kEventFieldCount; ++field) {
      if ((fields & (1 << field)) == 0) continue;
      const uint8_t* next = SkipVarint(p, end);
      if (next > end || next - p > static_cast<ptrdiff_t>(kMaxVarintSize)) return false;
      lengths[1 + field] += 1 + field == kAddressColumn ? 8 : next - p;
      p = next;
    }
  }

  size_t total = 0;
  for (size_t length : lengths) total += length;
  uint8_t* out = chunk.Reserve(1 + (1 + kColumns) * kMaxVarintSize + total);
  if (out == nullptr) return false;
  *out++ = static_cast<uint8_t>(format::RecordType::kThreadEventColumns);
  out = PutVarint(out, thread);
  for (size_t length : lengths) out = PutVarint(out, length);
  uint8_t* column[kColumns];
  column[0] = out;
  for (int i = 1; i < kColumns; ++i) column[i] = column[i - 1] + lengths[i - 1];
  for (const uint8_t* p = bytes; p < end;) {
    uint8_t fields = format::FieldsOf(format::EventTagOf(*p));
    *column[0]++ = *p++;
    for (int field = 0; field < format::kEventFieldCount; ++field) {
      if ((fields & (1 << field)) == 0) continue;
      if (1 + field == kAddressColumn) {
        address += ReadSvarint(p);
        std::memcpy(column[kAddressColumn], &address, 8);  // little-endian
        column[kAddressColumn] += 8;
        continue;
      }
      do {
        *column[1 + field]++ = *p;
      } while ((*p++ & 0x80) != 0);
    }
  }
  chunk.Commit(out + total);
  return true;
}

}  // namespace heaptrail::preload
