// The encoder (preload/) and the decoder (analyzer/) agree: primitives, and a
// real trace file written by TraceFile and read back by TraceReader.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "byte_writer.h"
#include "chunk_builder.h"
#include "event_columns.h"
#include "trace/byte_cursor.h"
#include "trace/record_decoder.h"
#include "trace/trace_reader.h"
#include "trace_file.h"

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

// Events as the hooks encode them (rows), every tag and multi-byte fields.
std::vector<uint8_t> RowEvents() {
  std::vector<uint8_t> bytes(256);
  uint8_t* out = bytes.data();
  *out++ = format::MakeEventTag(format::EventTag::kAlloc, 9);
  out = preload::PutVarint(out, 0);                // dtick
  out = preload::PutVarint(out, 300);              // size
  out = preload::PutSvarint(out, 0x7f0012345670);  // address
  out = preload::PutVarint(out, 70000);            // stack
  *out++ = format::MakeEventTag(format::EventTag::kFree, 3);
  out = preload::PutVarint(out, 200);
  out = preload::PutSvarint(out, -0x40);
  *out++ = format::MakeEventTag(format::EventTag::kReallocFailed, 0);
  out = preload::PutVarint(out, 1);
  out = preload::PutSvarint(out, 0x40);
  *out++ = format::MakeEventTag(format::EventTag::kAlloc, 0);
  out = preload::PutVarint(out, 0);
  out = preload::PutVarint(out, 8);
  out = preload::PutSvarint(out, 0x1000);
  out = preload::PutVarint(out, 2);
  bytes.resize(out - bytes.data());
  return bytes;
}

class EventLog : public analyzer::RecordSink {
 public:
  void OnEvents(std::span<const analyzer::Event> events) override {
    for (const analyzer::Event& e : events) OnEvent(e);
  }
  void OnEvent(const analyzer::Event& e) {
    log.push_back(absl::StrCat(static_cast<int>(e.type), " ", static_cast<int>(e.kind), " @",
                               e.tick, " ", absl::Hex(e.address), " size ", e.size, " stack ",
                               e.stack_id));
  }
  std::vector<std::string> log;
};

TEST(FormatRoundTripTest, EventColumnsDecodeToTheSameEventsAsRows) {
  const std::vector<uint8_t> rows = RowEvents();
  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  uint64_t address = 0;
  ASSERT_TRUE(preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), address));
  EXPECT_EQ(address, 0x7f0012346670u);
  // The rows' bytes regrouped, with 8-byte addresses (12 bytes of deltas in
  // the rows), after a header of 7 bytes.
  EXPECT_EQ(columns.data()[0], static_cast<uint8_t>(format::RecordType::kThreadEventColumns));
  EXPECT_EQ(columns.size(), 7 + rows.size() - 12 + 4 * 8);
  // Two records, so that the delta state carries from one to the next.
  ASSERT_TRUE(preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), address));
  EXPECT_EQ(address, 0xfe002468cce0u);

  EventLog from_columns;
  analyzer::RecordDecoder column_decoder;
  ASSERT_TRUE(column_decoder
                  .DecodeChunk(std::span<const uint8_t>(columns.data(), columns.size()),
                               from_columns)
                  .ok());
  std::vector<uint8_t> row_records;
  for (int i = 0; i < 2; ++i) {
    row_records.push_back(static_cast<uint8_t>(format::RecordType::kThreadEvents));
    row_records.push_back(5);
    row_records.push_back(static_cast<uint8_t>(rows.size()));
    row_records.insert(row_records.end(), rows.begin(), rows.end());
  }
  EventLog from_rows;
  analyzer::RecordDecoder row_decoder;
  ASSERT_TRUE(row_decoder.DecodeChunk(row_records, from_rows).ok());

  ASSERT_EQ(from_columns.log.size(), 8u);
  EXPECT_EQ(from_columns.log, from_rows.log);
  EXPECT_EQ(from_columns.log[0], "0 9 @0 7f0012345670 size 300 stack 70000");
  EXPECT_EQ(from_columns.log[1], "1 3 @200 7f0012345630 size 0 stack 0");
  EXPECT_EQ(from_columns.log[7], "0 0 @402 fe002468cce0 size 8 stack 2");
}

TEST(FormatRoundTripTest, EventColumnsRejectUnknownTagsAndCutRecords) {
  std::vector<uint8_t> rows = RowEvents();
  preload::ChunkBuilder chunk;
  preload::ChunkBuilder scratch;
  uint64_t address = 0;
  EXPECT_FALSE(
      preload::AppendEventColumns(chunk, scratch, 1, rows.data(), rows.size() - 1, address));
  rows.push_back(0xf0);  // tag 15: no such event
  EXPECT_FALSE(preload::AppendEventColumns(chunk, scratch, 1, rows.data(), rows.size(), address));
  EXPECT_EQ(chunk.size(), 0u);
  EXPECT_EQ(address, 0u);
}

TEST(FormatRoundTripTest, ColumnLongerThanItsEventsIsDataLoss) {
  const std::vector<uint8_t> rows = RowEvents();
  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  uint64_t address = 0;
  ASSERT_TRUE(preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), address));
  std::vector<uint8_t> bytes(columns.data(), columns.data() + columns.size());
  bytes[2] -= 1;  // one tag fewer: the other columns keep bytes past the events
  bytes.erase(bytes.begin() + 7 + 3);
  EventLog log;
  analyzer::RecordDecoder decoder;
  absl::Status status = decoder.DecodeChunk(bytes, log);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("bytes past its events"), std::string::npos) << status;
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
