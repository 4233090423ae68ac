// ByteCursor: every overrun and malformed varint is a Status, not a crash.

#include "trace/byte_cursor.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(ByteCursorTest, ReadsVarintsOfEveryLength) {
  std::string bytes;
  const std::vector<uint64_t> values = {0, 1, 127, 128, 300, 1ull << 35, ~0ull};
  for (uint64_t v : values) testing::TraceBuilder::PutVarint(bytes, v);
  ByteCursor cursor(Bytes(bytes));
  for (uint64_t v : values) {
    absl::StatusOr<uint64_t> read = cursor.ReadVarint();
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, v);
  }
  EXPECT_TRUE(cursor.empty());
}

TEST(ByteCursorTest, ReadsSvarints) {
  std::string bytes;
  const std::vector<int64_t> values = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
  for (int64_t v : values) testing::TraceBuilder::PutSvarint(bytes, v);
  ByteCursor cursor(Bytes(bytes));
  for (int64_t v : values) {
    absl::StatusOr<int64_t> read = cursor.ReadSvarint();
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, v);
  }
}

TEST(ByteCursorTest, TruncatedVarintIsAnError) {
  const std::string bytes = "\x80\x80";
  ByteCursor cursor(Bytes(bytes));
  absl::StatusOr<uint64_t> read = cursor.ReadVarint();
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("truncated varint"),
            std::string::npos);
}

TEST(ByteCursorTest, VarintLongerThanTenBytesIsAnError) {
  const std::string bytes(11, '\x80');
  ByteCursor cursor(Bytes(bytes));
  EXPECT_FALSE(cursor.ReadVarint().ok());
}

TEST(ByteCursorTest, VarintOverflowingSixtyFourBitsIsAnError) {
  std::string bytes(9, '\xff');
  bytes.push_back('\x02');  // bit 64
  ByteCursor cursor(Bytes(bytes));
  absl::StatusOr<uint64_t> read = cursor.ReadVarint();
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("overflows"), std::string::npos);
}

TEST(ByteCursorTest, EmptyInputIsAnError) {
  ByteCursor cursor;
  EXPECT_FALSE(cursor.ReadByte().ok());
  EXPECT_FALSE(cursor.ReadVarint().ok());
}

TEST(ByteCursorTest, StringLongerThanTheLimitIsAnError) {
  std::string bytes;
  testing::TraceBuilder::PutString(bytes, std::string(20, 'x'));
  ByteCursor cursor(Bytes(bytes));
  absl::StatusOr<std::string_view> read = cursor.ReadString(10, "name");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("exceeds the limit 10"),
            std::string::npos);
}

TEST(ByteCursorTest, StringRunningPastTheEndIsAnError) {
  std::string bytes;
  testing::TraceBuilder::PutVarint(bytes, 100);
  bytes += "short";
  ByteCursor cursor(Bytes(bytes));
  EXPECT_FALSE(cursor.ReadString(4096, "name").ok());
}

TEST(ByteCursorTest, AbsurdByteCountIsAnError) {
  const std::string bytes = "abc";
  ByteCursor cursor(Bytes(bytes));
  EXPECT_FALSE(cursor.ReadBytes(~0ull, "blob").ok());
  EXPECT_EQ(cursor.remaining(), 3u);
}

TEST(ByteCursorTest, ReadVarintAtMostEnforcesItsLimit) {
  std::string bytes;
  testing::TraceBuilder::PutVarint(bytes, 5);
  testing::TraceBuilder::PutVarint(bytes, 6);
  ByteCursor cursor(Bytes(bytes));
  EXPECT_EQ(*cursor.ReadVarintAtMost(5, "x"), 5u);
  EXPECT_FALSE(cursor.ReadVarintAtMost(5, "x").ok());
}

}  // namespace
}  // namespace heaptrail::analyzer
