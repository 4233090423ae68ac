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

TEST(SizeFormatTest, ParsesSizesAsBudgetsAreWritten) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("4096 B"), 4096u);
  EXPECT_EQ(*ParseByteSize("4KiB"), 4096u);
  EXPECT_EQ(*ParseByteSize(" 1.5 MiB "), 1572864u);
  EXPECT_EQ(*ParseByteSize("2gib"), 2147483648u);
  EXPECT_EQ(*ParseByteSize("1 TiB"), 1099511627776u);
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  for (const char* bad : {"", "KiB", "-1", "4 KB", "4XB", "1.5", "0x10", "1e30 GiB", "four"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace heaptrail::analyzer
