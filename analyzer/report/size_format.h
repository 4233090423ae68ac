// Human-readable sizes and durations for text reports: 1024-based units
// (B, KiB, MiB, GiB, TiB), signed variants for diffs; and sizes as users
// write them in budgets.
//
// Thread-safety: pure functions.

#ifndef HEAPTRAIL_ANALYZER_REPORT_SIZE_FORMAT_H_
#define HEAPTRAIL_ANALYZER_REPORT_SIZE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace heaptrail::analyzer {

// "0 B", "999 B", "1.00 KiB", "15.3 MiB": three significant digits.
std::string FormatBytes(uint64_t bytes);
// FormatBytes plus the exact count when it is not already exact:
// "1.50 MiB (1572864 B)", "17 B".
std::string FormatBytesExact(uint64_t bytes);
// "+1.50 MiB", "-17 B", "0 B".
std::string FormatBytesSigned(int64_t bytes);
// "0.512 s", "12.3 s", "1 h 02 min".
std::string FormatSeconds(double seconds);

// "4096", "4096 B", "4 KiB", "1.5MiB", "2 GiB" (units 1024-based, any case):
// the number of bytes, or an error saying what is accepted.
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_SIZE_FORMAT_H_
