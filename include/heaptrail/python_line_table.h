// CPython's location table (co_linetable, PEP 626 and 657; one format in
// 3.11, 3.12 and 3.13), as kPythonCode records carry it: the layout of its
// entries, for the recorder, which drops their columns, and the analyzer,
// which reads their lines. The format in full:
// analyzer/symbolize/python_line_table.h.

#ifndef HEAPTRAIL_PYTHON_LINE_TABLE_H_
#define HEAPTRAIL_PYTHON_LINE_TABLE_H_

#include <cstddef>
#include <cstdint>

namespace heaptrail::format::python_line_table {

inline constexpr uint8_t kEntryStart = 0x80;  // set on an entry's first byte only
inline constexpr uint8_t kVarintMore = 0x40;
inline constexpr uint8_t kVarintBits = 0x3f;

inline constexpr int kNoColumnsCode = 13;
inline constexpr int kLongFormCode = 14;
inline constexpr int kNoLocationCode = 15;
inline constexpr int kOneLineFirstCode = 10;
inline constexpr int kOneLineLastCode = 12;

// An entry covers 1 to 8 code units.
inline constexpr int kMaxEntryUnits = 8;

// The code of the entry whose first byte is `head`, and the code units it
// covers.
inline int EntryCode(uint8_t head) { return (head >> 3) & 0xf; }
inline int EntryUnits(uint8_t head) { return (head & 7) + 1; }

// The line delta an entry's code implies without data: the one-line forms'.
inline int64_t ImpliedDelta(int code) {
  return code >= kOneLineFirstCode && code <= kOneLineLastCode ? code - kOneLineFirstCode : 0;
}

// Reads the svarint at table[pos] (pos advanced past it), within the entry:
// it stops at the next entry's first byte or the end. False on a truncated
// one. Bits past 64 cannot come from CPython: they are ignored, never an
// overflow.
inline bool ReadSvarint(const uint8_t* table, size_t size, size_t& pos, int64_t& value) {
  uint64_t raw = 0;
  for (int shift = 0;; shift += 6) {
    if (pos == size || (table[pos] & kEntryStart) != 0) return false;
    const uint8_t byte = table[pos++];
    if (shift < 64) raw |= static_cast<uint64_t>(byte & kVarintBits) << shift;
    if ((byte & kVarintMore) == 0) break;
  }
  const auto magnitude = static_cast<int64_t>(raw >> 1);
  value = (raw & 1) != 0 ? -magnitude : magnitude;
  return true;
}

}  // namespace heaptrail::format::python_line_table

#endif  // HEAPTRAIL_PYTHON_LINE_TABLE_H_
