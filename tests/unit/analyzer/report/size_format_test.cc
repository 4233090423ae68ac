// Size and duration formatting for text reports.

#include "report/size_format.h"

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

TEST(SizeFormatTest, UsesBinaryUnitsWithThreeDigits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.00 KiB");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(15 * 1024 + 300), "15.3 KiB");
  EXPECT_EQ(FormatBytes(1024 * 1024 - 1), "1.00 MiB");
  EXPECT_EQ(FormatBytes(200 * 1024 * 1024ull), "200 MiB");
  EXPECT_EQ(FormatBytes(3ull << 40), "3.00 TiB");
}

TEST(SizeFormatTest, ExactAndSigned) {
  EXPECT_EQ(FormatBytesExact(17), "17 B");
  EXPECT_EQ(FormatBytesExact(1572864), "1.50 MiB (1572864 B)");
  EXPECT_EQ(FormatBytesSigned(0), "0 B");
  EXPECT_EQ(FormatBytesSigned(-17), "-17 B");
  EXPECT_EQ(FormatBytesSigned(2048), "+2.00 KiB");
}

TEST(SizeFormatTest, Durations) {
  EXPECT_EQ(FormatSeconds(0.5125), "0.512 s");
  EXPECT_EQ(FormatSeconds(12.34), "12.3 s");
  EXPECT_EQ(FormatSeconds(3725), "1 h 02 min");
  EXPECT_EQ(FormatSeconds(-1), "0.000 s");
}

}  // namespace
}  // namespace heaptrail::analyzer
