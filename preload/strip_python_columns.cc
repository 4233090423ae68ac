// StripPythonColumns: entries are read one by one into runs of code units
// with one line (or none), and each run is written as few column-less
// entries as the format allows.

#include "strip_python_columns.h"

#include <cstring>

#include "heaptrail/python_line_table.h"

namespace heaptrail::preload {
namespace {

using format::python_line_table::EntryCode;
using format::python_line_table::EntryUnits;
using format::python_line_table::ImpliedDelta;
using format::python_line_table::kEntryStart;
using format::python_line_table::kLongFormCode;
using format::python_line_table::kMaxEntryUnits;
using format::python_line_table::kNoColumnsCode;
using format::python_line_table::kNoLocationCode;
using format::python_line_table::kVarintBits;
using format::python_line_table::kVarintMore;
using format::python_line_table::ReadSvarint;

class Writer {
 public:
  Writer(uint8_t* out, size_t limit) : out_(out), limit_(limit) {}

  // The next `units` code units are on `line`, or have none.
  void Run(int64_t units, bool located, int64_t line) {
    while (units > 0 && !full_) {
      int64_t n = units < kMaxEntryUnits ? units : int64_t{kMaxEntryUnits};
      int code = located ? kNoColumnsCode : kNoLocationCode;
      Put(static_cast<uint8_t>(kEntryStart | code << 3 | (n - 1)));
      if (located) {
        // Unsigned, as the reader adds: a hostile table's lines wrap.
        PutSvarint(static_cast<uint64_t>(line) - static_cast<uint64_t>(line_));
        line_ = line;
      }
      units -= n;
    }
  }

  bool full() const { return full_; }
  size_t size() const { return size_; }

 private:
  void Put(uint8_t byte) {
    if (size_ == limit_) {
      full_ = true;
      return;
    }
    out_[size_++] = byte;
  }

  // The reader's svarint holds 63 bits of magnitude: a delta beyond them
  // (a hostile table's) leaves the table as it was.
  void PutSvarint(uint64_t delta) {
    bool negative = delta >> 63 != 0;
    uint64_t magnitude = negative ? 0 - delta : delta;
    if (magnitude >> 63 != 0) {
      full_ = true;
      return;
    }
    uint64_t raw = magnitude << 1 | (negative ? 1 : 0);
    do {
      uint8_t byte = raw & kVarintBits;
      raw >>= 6;
      Put(raw != 0 ? byte | kVarintMore : byte);
    } while (raw != 0);
  }

  uint8_t* out_;
  size_t limit_;
  size_t size_ = 0;
  bool full_ = false;
  int64_t line_ = 0;  // the line state of what is written, relative to the first line
};

}  // namespace

size_t StripPythonColumns(const uint8_t* table, size_t size, uint8_t* out) {
  Writer writer(out, size);
  // The current run: `units` code units on `line` (relative to the first
  // line; unsigned arithmetic, as the reader's), or without one.
  int64_t run_units = 0, run_line = 0, line = 0;
  bool run_located = false;
  size_t pos = 0;
  while (pos < size) {
    uint8_t head = table[pos++];
    if ((head & kEntryStart) == 0) break;
    int code = EntryCode(head);
    int64_t units = EntryUnits(head);
    int64_t delta = ImpliedDelta(code);
    if (code == kNoColumnsCode || code == kLongFormCode) {
      if (!ReadSvarint(table, size, pos, delta)) break;
    }
    line = static_cast<int64_t>(static_cast<uint64_t>(line) + static_cast<uint64_t>(delta));
    bool located = code != kNoLocationCode;
    if (run_units != 0 && (located != run_located || (located && line != run_line))) {
      writer.Run(run_units, run_located, run_line);
      run_units = 0;
    }
    run_units += units;
    run_located = located;
    run_line = line;
    while (pos < size && (table[pos] & kEntryStart) == 0) ++pos;  // columns, end line
  }
  writer.Run(run_units, run_located, run_line);
  if (writer.full()) {
    memcpy(out, table, size);
    return size;
  }
  return writer.size();
}

}  // namespace heaptrail::preload
