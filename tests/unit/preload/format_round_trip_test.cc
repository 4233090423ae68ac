// The encoder (preload/) and the decoder (analyzer/) agree: primitives, and a
// real trace file written by TraceFile and read back by TraceReader.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "byte_cursor.h"
#include "byte_writer.h"
#include "chunk_builder.h"
#include "trace_file.h"
#include "trace_reader.h"

namespace heaptrail {
namespace {

TEST(FormatRoundTripTest, Primitives) {
  const uint64_t kUnsigned[] = {0, 1, 127, 128, 16383, 16384, 1ull << 35,
                                std::numeric_limits<uint64_t>::max()};
  const int64_t kSigned[] = {0, -1, 1, -64, 64, std::numeric_limits<int64_t>::min(),
                             std::numeric_limits<int64_t>::max()};
  std::vector<uint8_t> bytes(1024);
  uint8_t* out = bytes.data();
  for (uint64_t value : kUnsigned) out = preload::PutVarint(out, value);
  for (int64_t value : kSigned) out = preload::PutSvarint(out, value);
  out = preload::PutString(out, "libc.so.6", 4096);
  out = preload::PutString(out, "truncated", 5);
  bytes.resize(out - bytes.data());

  analyzer::ByteCursor cursor(bytes);
  for (uint64_t value : kUnsigned) EXPECT_EQ(*cursor.ReadVarint(), value);
  for (int64_t value : kSigned) EXPECT_EQ(*cursor.ReadSvarint(), value);
  EXPECT_EQ(*cursor.ReadString(4096, "path"), "libc.so.6");
  EXPECT_EQ(*cursor.ReadString(4096, "path"), "trunc");
  EXPECT_TRUE(cursor.empty());
}

TEST(FormatRoundTripTest, TraceFileChunksReadBack) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("round_trip." + std::to_string(getpid()))).string();
  std::filesystem::remove(path);
  format::FileHeader header = {};
  std::memcpy(header.magic, format::kFileMagic, sizeof(header.magic));
  header.version = format::kFormatVersion;
  header.header_size = sizeof(header);
  header.start_tick = 12345;
  header.pid = 42;

  std::vector<std::vector<uint8_t>> chunks;
  {
    preload::TraceFile file;
    ASSERT_TRUE(file.Open(path.c_str(), header));
    for (int c = 0; c < 3; ++c) {
      preload::ChunkBuilder builder;
      builder.PutRecordType(format::RecordType::kRoundEnd);
      for (int i = 0; i < 10000 * (c + 1); ++i) builder.PutVarint(i * (c + 1));
      builder.PutString("end");
      chunks.emplace_back(builder.data(), builder.data() + builder.size());
      ASSERT_TRUE(file.WriteChunk(builder.data(), builder.size()));
    }
    file.Abandon();
  }
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto reader = analyzer::TraceReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->header().start_tick, 12345u);
  EXPECT_EQ((*reader)->header().pid, 42u);
  for (const auto& expected : chunks) {
    auto more = (*reader)->Next();
    ASSERT_TRUE(more.ok()) << more.status();
    ASSERT_TRUE(*more);
    auto chunk = (*reader)->chunk();
    EXPECT_EQ(std::vector<uint8_t>(chunk.begin(), chunk.end()), expected);
  }
  auto end = (*reader)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  EXPECT_FALSE((*reader)->truncated());
  std::filesystem::remove(path);
}

TEST(FormatRoundTripTest, TraceFileNeverOverwritesNorFollowsSymlinks) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("planted." + std::to_string(getpid()))).string();
  std::string target = path + ".target";
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".1");
  std::filesystem::remove(target);
  std::filesystem::create_symlink(target, path);
  format::FileHeader header = {};
  preload::TraceFile file;
  ASSERT_TRUE(file.Open(path.c_str(), header));
  EXPECT_EQ(std::string(file.path()), path + ".1");
  EXPECT_FALSE(std::filesystem::exists(target));
  file.Abandon();
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".1");
}

}  // namespace
}  // namespace heaptrail
