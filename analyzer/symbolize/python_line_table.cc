// PythonLineAt: one forward walk over the entries, accumulating line
// deltas until the entry that covers the offset.

#include "symbolize/python_line_table.h"

#include <cstddef>

#include "heaptrail/python_line_table.h"

namespace heaptrail::analyzer {
namespace {

using format::python_line_table::EntryCode;
using format::python_line_table::EntryUnits;
using format::python_line_table::ImpliedDelta;
using format::python_line_table::kEntryStart;
using format::python_line_table::kLongFormCode;
using format::python_line_table::kNoColumnsCode;
using format::python_line_table::kNoLocationCode;
using format::python_line_table::ReadSvarint;

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
    const int code = EntryCode(head);
    const int64_t entry_bytes = 2 * EntryUnits(head);
    int64_t delta = ImpliedDelta(code);
    if (code == kNoColumnsCode || code == kLongFormCode) {
      if (!ReadSvarint(table.data(), table.size(), pos, delta)) {
        return kNoPythonLine;
      }
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
