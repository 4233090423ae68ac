// PythonLineAt: one forward walk over the entries, accumulating line
// deltas until the entry that covers the offset.

#include "symbolize/python_line_table.h"

#include <cstddef>

namespace heaptrail::analyzer {
namespace {

constexpr uint8_t kEntryStart = 0x80;  // set on an entry's first byte only
constexpr uint8_t kVarintMore = 0x40;
constexpr uint8_t kVarintBits = 0x3f;

constexpr int kNoColumnsCode = 13;
constexpr int kLongFormCode = 14;
constexpr int kNoLocationCode = 15;
constexpr int kOneLineFirstCode = 10;
constexpr int kOneLineLastCode = 12;

// Reads the svarint at `pos` (advanced past it), within the entry: it stops
// at the next entry's first byte or the end. False on a truncated one.
bool ReadSvarint(std::span<const uint8_t> table, size_t& pos, int64_t& value) {
  uint64_t raw = 0;
  for (int shift = 0;; shift += 6) {
    if (pos == table.size() || (table[pos] & kEntryStart) != 0) return false;
    const uint8_t byte = table[pos++];
    // Bits past 64 cannot come from CPython: ignore them, never overflow.
    if (shift < 64) raw |= static_cast<uint64_t>(byte & kVarintBits) << shift;
    if ((byte & kVarintMore) == 0) break;
  }
  const auto magnitude = static_cast<int64_t>(raw >> 1);
  value = (raw & 1) != 0 ? -magnitude : magnitude;
  return true;
}

}  // namespace

int64_t PythonLineAt(std::span<const uint8_t> table, int64_t first_line,
                     int64_t offset) {
  if (offset < 0) return first_line;
  int64_t line = first_line;
  int64_t entry_begin = 0;  // byte offset of the entry's first code unit
  size_t pos = 0;
  while (pos < table.size()) {
    const uint8_t head = table[pos++];
    if ((head & kEntryStart) == 0) return kNoPythonLine;  // not a table
    const int code = (head >> 3) & 0xf;
    const int64_t entry_bytes = 2 * ((head & 7) + 1);
    int64_t delta = 0;
    if (code == kNoColumnsCode || code == kLongFormCode) {
      if (!ReadSvarint(table, pos, delta)) return kNoPythonLine;
    } else if (code >= kOneLineFirstCode && code <= kOneLineLastCode) {
      delta = code - kOneLineFirstCode;
    }
    // Unsigned: a hostile table's deltas wrap instead of overflowing.
    line = static_cast<int64_t>(static_cast<uint64_t>(line) +
                                static_cast<uint64_t>(delta));
    if (offset < entry_begin + entry_bytes) {
      return code == kNoLocationCode ? kNoPythonLine : line;
    }
    entry_begin += entry_bytes;
    // The rest of the entry: columns, end line.
    while (pos < table.size() && (table[pos] & kEntryStart) == 0) ++pos;
  }
  return kNoPythonLine;
}

}  // namespace heaptrail::analyzer
