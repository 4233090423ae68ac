// Size and duration formatting.

#include "report/size_format.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B",   "KiB", "MiB", "GiB",
                                           "TiB", "PiB", "EiB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes);
  int unit = 0;
  // 1023.5 and up would print as "1024 KiB": show "1.00 MiB" instead.
  while (value >= 1023.5 && unit < 6) {
    value /= 1024;
    ++unit;
  }
  // Three significant digits.
  if (value >= 100) return absl::StrFormat("%.0f %s", value, kUnits[unit]);
  if (value >= 9.995) return absl::StrFormat("%.1f %s", value, kUnits[unit]);
  return absl::StrFormat("%.2f %s", value, kUnits[unit]);
}

std::string FormatBytesExact(uint64_t bytes) {
  if (bytes < 1024) return FormatBytes(bytes);
  return absl::StrCat(FormatBytes(bytes), " (", bytes, " B)");
}

std::string FormatBytesSigned(int64_t bytes) {
  if (bytes == 0) return "0 B";
  const uint64_t magnitude = bytes < 0
                                 ? uint64_t{0} - static_cast<uint64_t>(bytes)
                                 : static_cast<uint64_t>(bytes);
  return absl::StrCat(bytes < 0 ? "-" : "+", FormatBytes(magnitude));
}

std::string FormatSeconds(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // NaN too
  if (seconds < 10) return absl::StrFormat("%.3f s", seconds);
  if (seconds < 600) return absl::StrFormat("%.1f s", seconds);
  const auto total = static_cast<uint64_t>(std::llround(seconds));
  if (total < 3600)
    return absl::StrFormat("%d min %02d s", total / 60, total % 60);
  return absl::StrFormat("%d h %02d min", total / 3600, (total / 60) % 60);
}

}  // namespace heaptrail::analyzer
