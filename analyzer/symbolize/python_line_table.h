// Decodes a CPython code object's location table (co_linetable, PEP 626
// and 657; one format in 3.11, 3.12 and 3.13) to the source line of an
// instruction, with the answers of CPython's own PyCode_Addr2Line.
//
// The table is a run of entries, each covering 1 to 8 code units (2 bytes
// each) of bytecode, inline caches included. An entry's first byte has bit
// 7 set, its code in bits 3-6 and its length minus one in bits 0-2; the
// bytes that follow it, bit 7 clear, carry the code's fields. The line
// starts at co_firstlineno and every entry moves it by its delta:
//
//   code 0-9    short form: same line, one byte of columns
//   code 10-12  one-line form: line + code - 10, two bytes of columns
//   code 13     no columns: line + svarint
//   code 14     long form: line + svarint, then end line and columns
//   code 15     no location: the instructions have no line (delta 0)
//
// A varint here is little-endian 6-bit groups, 0x40 meaning "more"; an
// svarint holds its sign in bit 0. See docs/python_frames_research.md, 5.
//
// Thread-safety: a pure function.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_PYTHON_LINE_TABLE_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_PYTHON_LINE_TABLE_H_

#include <cstdint>
#include <span>

namespace heaptrail::analyzer {

// What PythonLineAt() returns for an instruction without a line: the
// -1 of PyCode_Addr2Line, which CPython shows as a frame's f_lineno None.
inline constexpr int64_t kNoPythonLine = -1;

// The line of the instruction at byte `offset` of the bytecode, exactly as
// PyCode_Addr2Line(code, offset) answers: `first_line` for a negative
// offset (a frame that has not started: its "last instruction" is -2),
// kNoPythonLine inside a no-location entry, past the table's end or on a
// table that is not well formed. Never reads outside `table`.
//
// Example: table {0xd8, 0x04, 0x08} (one entry of code 11, one unit,
// columns 4 to 8) and first line 10 give line 11 at offset 0 and
// kNoPythonLine at offset 2.
int64_t PythonLineAt(std::span<const uint8_t> table, int64_t first_line,
                     int64_t offset);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_PYTHON_LINE_TABLE_H_
