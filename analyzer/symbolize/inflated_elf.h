// Debian ships debug files with their DWARF sections compressed (SHF_COMPRESSED,
// zlib), and libelf inflates them with zlib when libdw opens the file: for
// glibc's debug file that is ~40 ms, two thirds of a small trace's report.
// InflatedElf builds the same file with those sections already inflated, by
// libdeflate (about three times faster than zlib here), in an anonymous memory
// file, so that libelf has nothing left to inflate. Compressed DWARF that
// no symbol, file or line lookup reads (variables' locations, macros) is not
// inflated at all: its sections become SHT_NOBITS, which libdw skips (a
// small trace's report: 0.92 of the time).
//
// Only 64-bit little-endian ELF with zlib-compressed sections is rewritten:
// the inflated sections go after the original bytes, their headers point
// there, and the compressed bytes are left out (the memory file has a hole
// there). Anything unexpected (a header out of bounds, an unknown compression,
// a stream that does not inflate to its stated size, more than
// kMaxInflatedBytes) leaves the file to libelf, as before.
//
// Thread-safety: stateless.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_H_

#include <cstdint>

#include "symbolize/debuginfo_locator.h"

namespace heaptrail::analyzer::symbolize_internal {

// What one file's inflated sections may add up to.
inline constexpr uint64_t kMaxInflatedBytes = uint64_t{4} << 30;

// A memory file with the ELF file open on `fd`, compressed sections inflated;
// invalid when it has none or cannot be rewritten (then use `fd` itself).
UniqueFd InflatedElf(int fd);

}  // namespace heaptrail::analyzer::symbolize_internal

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_INFLATED_ELF_H_
