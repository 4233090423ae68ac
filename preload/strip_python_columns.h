// Rewrites a CPython code object's location table (co_linetable, 3.11 to
// 3.13; see analyzer/symbolize/python_line_table.h for the format) without
// its columns, in the same format, so that every offset still has the line
// PyCode_Addr2Line gives it.
//
// The trace needs lines only, and columns are most of a table: every
// instruction gets an entry of its own for its columns. Without them, a run
// of instructions on one line is one entry per 8 code units (code 13, its
// line delta as an svarint), and a run without a location one byte per 8.
// For a short Python program the tables are over half its trace.
//
// Thread-safety: a pure function. No allocation.

#ifndef HEAPTRAIL_PRELOAD_STRIP_PYTHON_COLUMNS_H_
#define HEAPTRAIL_PRELOAD_STRIP_PYTHON_COLUMNS_H_

#include <cstddef>
#include <cstdint>

namespace heaptrail::preload {

// Writes the table without columns to `out` and returns its size, which is
// never more than `size` (a table no smaller is copied as it is). A table
// that is not well formed keeps its lines up to where it stops being so.
size_t StripPythonColumns(const uint8_t* table, size_t size, uint8_t* out);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_STRIP_PYTHON_COLUMNS_H_
