// Size and duration formatting.

#include "report/size_format.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
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

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  static constexpr struct {
    std::string_view unit;
    double factor;
  } kUnits[] = {{"TIB", 1099511627776.0},
                {"GIB", 1073741824.0},
                {"MIB", 1048576.0},
                {"KIB", 1024.0},
                {"B", 1.0}};
  const std::string upper = absl::AsciiStrToUpper(
      absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  std::string_view number = upper;
  double factor = 1;
  for (const auto& [unit, unit_factor] : kUnits) {
    if (number.size() > unit.size() &&
        number.substr(number.size() - unit.size()) == unit) {
      number.remove_suffix(unit.size());
      factor = unit_factor;
      break;
    }
  }
  const absl::string_view digits = absl::StripAsciiWhitespace(
      absl::string_view(number.data(), number.size()));
  number = std::string_view(digits.data(), digits.size());
  double value = 0;
  const double bytes = absl::SimpleAtod(digits, &value) ? value * factor : -1;
  if (number.empty() || !(bytes >= 0) || bytes > 1.8e19 ||
      (factor == 1 &&
       number.find_first_not_of("0123456789") != std::string_view::npos)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" is not a size: write bytes, or a number with "
                        "KiB, MiB, GiB or TiB",
                        text));
  }
  return static_cast<uint64_t>(std::llround(bytes));
}

}  // namespace heaptrail::analyzer
