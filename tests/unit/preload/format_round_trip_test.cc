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
#include "address_coder.h"
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

// Decodes `records` (kThreadEvents or kThreadEventColumns) into an event log.
std::vector<std::string> DecodeToLog(const std::vector<uint8_t>& records) {
  EventLog log;
  analyzer::RecordDecoder decoder;
  absl::Status status = decoder.DecodeChunk(records, log);
  EXPECT_TRUE(status.ok()) << status;
  return log.log;
}

// Appends `rows` as a kThreadEvents record of `thread` (< 128).
void AppendRowRecord(std::vector<uint8_t>& records, uint8_t thread,
                     const std::vector<uint8_t>& rows) {
  records.push_back(static_cast<uint8_t>(format::RecordType::kThreadEvents));
  records.push_back(thread);
  uint8_t size[preload::kMaxVarintSize];
  records.insert(records.end(), size, preload::PutVarint(size, rows.size()));
  records.insert(records.end(), rows.begin(), rows.end());
}

// `rows` as `copies` kThreadEvents records of thread 5.
std::vector<uint8_t> RowRecords(const std::vector<uint8_t>& rows, int copies) {
  std::vector<uint8_t> records;
  for (int i = 0; i < copies; ++i) AppendRowRecord(records, 5, rows);
  return records;
}

TEST(FormatRoundTripTest, EventColumnsDecodeToTheSameEventsAsRows) {
  const std::vector<uint8_t> rows = RowEvents();
  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  ASSERT_TRUE(
      preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state));
  EXPECT_EQ(state.address, 0x7f0012346670u);
  EXPECT_EQ(columns.data()[0], static_cast<uint8_t>(format::RecordType::kThreadEventColumns));
  // Two records, so that the delta state and the recent addresses carry
  // from one to the next.
  ASSERT_TRUE(
      preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state));
  EXPECT_EQ(state.address, 0xfe002468cce0u);

  const std::vector<std::string> from_columns =
      DecodeToLog(std::vector<uint8_t>(columns.data(), columns.data() + columns.size()));
  ASSERT_EQ(from_columns.size(), 8u);
  EXPECT_EQ(from_columns, DecodeToLog(RowRecords(rows, 2)));
  EXPECT_EQ(from_columns[0], "0 9 @0 7f0012345670 size 300 stack 70000");
  EXPECT_EQ(from_columns[1], "1 3 @200 7f0012345630 size 0 stack 0");
  EXPECT_EQ(from_columns[2], "2 0 @201 7f0012345670 size 0 stack 0");
  EXPECT_EQ(from_columns[7], "0 0 @402 fe002468cce0 size 8 stack 2");
}

// A chunk as the writer makes it: the column sections of threads 5 and 6
// first, then the records' headers in their order, three rounds of each
// thread interleaved. `cut` bytes are left off thread 6's section.
std::vector<uint8_t> ChunkWithColumnsApart(const std::vector<uint8_t>& rows, size_t cut = 0) {
  preload::ChunkBuilder scratch;
  preload::ChunkBuilder pending[2];
  preload::ColumnState state[2];
  std::vector<std::pair<size_t, size_t>> records[2];  // offset, size in pending
  for (int round = 0; round < 3; ++round) {
    for (int t = 0; t < 2; ++t) {
      const size_t before = pending[t].size();
      EXPECT_TRUE(preload::AppendEventColumns(pending[t], scratch, 5 + t, rows.data(),
                                              rows.size(), state[t]));
      records[t].push_back({before, pending[t].size() - before});
    }
  }
  preload::ChunkBuilder chunk;
  chunk.PutRecordType(format::RecordType::kColumnSections);
  chunk.PutVarint(2);
  for (int t = 0; t < 2; ++t) {
    EXPECT_TRUE(preload::PutColumnSectionHeader(chunk, pending[t].data(), pending[t].size()));
  }
  for (int t = 0; t < 2; ++t) {
    EXPECT_TRUE(preload::AppendColumnSection(chunk, pending[t].data(), pending[t].size()));
  }
  std::vector<uint8_t> bytes(chunk.data(), chunk.data() + chunk.size() - cut);
  for (int round = 0; round < 3; ++round) {
    for (int t = 0; t < 2; ++t) {
      preload::ChunkBuilder header;
      const auto [offset, size] = records[t][round];
      EXPECT_TRUE(preload::PutColumnsApartHeader(header, pending[t].data() + offset, size));
      bytes.insert(bytes.end(), header.data(), header.data() + header.size());
    }
  }
  return bytes;
}

// The same rows as kThreadEvents records, three rounds of threads 5 and 6.
std::vector<uint8_t> InterleavedRowRecords(const std::vector<uint8_t>& rows) {
  std::vector<uint8_t> records;
  for (int round = 0; round < 3; ++round) {
    for (uint8_t thread : {5, 6}) AppendRowRecord(records, thread, rows);
  }
  return records;
}

TEST(FormatRoundTripTest, ColumnsApartInSectionsDecodeToTheSameEvents) {
  const std::vector<uint8_t> rows = RowEvents();
  const std::vector<std::string> from_sections = DecodeToLog(ChunkWithColumnsApart(rows));
  ASSERT_EQ(from_sections.size(), 24u);
  EXPECT_EQ(from_sections, DecodeToLog(InterleavedRowRecords(rows)));
  EXPECT_EQ(from_sections[0], "0 9 @0 7f0012345670 size 300 stack 70000");
}

TEST(FormatRoundTripTest, ColumnsApartWithoutTheirBytesAreDataLoss) {
  const std::vector<uint8_t> rows = RowEvents();
  auto status_of = [](const std::vector<uint8_t>& bytes) {
    EventLog log;
    analyzer::RecordDecoder decoder;
    return decoder.DecodeChunk(bytes, log);
  };
  // A section one byte short: the last record of thread 6 does not fit.
  absl::Status short_section = status_of(ChunkWithColumnsApart(rows, 1));
  EXPECT_EQ(short_section.code(), absl::StatusCode::kDataLoss) << short_section;
  // Headers without sections.
  std::vector<uint8_t> chunk = ChunkWithColumnsApart(rows);
  preload::ChunkBuilder record, header;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  ASSERT_TRUE(preload::AppendEventColumns(record, scratch, 5, rows.data(), rows.size(), state));
  ASSERT_TRUE(preload::PutColumnsApartHeader(header, record.data(), record.size()));
  absl::Status no_section =
      status_of(std::vector<uint8_t>(header.data(), header.data() + header.size()));
  EXPECT_EQ(no_section.code(), absl::StatusCode::kDataLoss) << no_section;
  EXPECT_NE(no_section.message().find("without a column section"), std::string::npos);
  // Two sections records in one chunk.
  std::vector<uint8_t> twice = chunk;
  twice.insert(twice.begin(), chunk.begin(), chunk.end());
  EXPECT_EQ(status_of(twice).code(), absl::StatusCode::kDataLoss);
  // Records of two threads are no section.
  preload::ColumnState other;
  ASSERT_TRUE(preload::AppendEventColumns(record, scratch, 6, rows.data(), rows.size(), other));
  preload::ChunkBuilder out;
  EXPECT_FALSE(preload::AppendColumnSection(out, record.data(), record.size()));
  EXPECT_FALSE(preload::PutColumnSectionHeader(out, record.data(), record.size() - 1));
  EXPECT_EQ(out.size(), 0u);
}

// The address column of one record, from its header.
std::vector<uint8_t> AddressColumn(const preload::ChunkBuilder& record) {
  analyzer::ByteCursor cursor(std::span<const uint8_t>(record.data(), record.size()));
  EXPECT_EQ(*cursor.ReadByte(), static_cast<uint8_t>(format::RecordType::kThreadEventColumns));
  EXPECT_TRUE(cursor.ReadVarint().ok());  // thread
  uint64_t lengths[5];
  for (uint64_t& length : lengths) length = *cursor.ReadVarint();
  cursor.Skip(lengths[0] + lengths[1] + lengths[2]);
  std::span<const uint8_t> bytes = *cursor.ReadBytes(lengths[3], "addresses");
  return {bytes.begin(), bytes.end()};
}

// Row events of thread-local traffic: a release names its allocation by
// distance, an allocation the release it reuses; the rest go as deltas.
TEST(FormatRoundTripTest, AddressesGoAsReferencesToRecentOnes) {
  struct Step {
    format::EventTag tag;
    uint64_t address;
  };
  const uint64_t a = 0x5555000010, b = 0x5555000040, c = 0x7f0000001000;
  const Step steps[] = {
      {format::EventTag::kAlloc, a},          // a delta
      {format::EventTag::kAlloc, b},          // a delta
      {format::EventTag::kFree, a},           // allocation 2 ago
      {format::EventTag::kAlloc, a},          // release 1 ago
      {format::EventTag::kFree, b},           // allocation 2 ago
      {format::EventTag::kReallocFailed, b},  // allocation 2 ago; not a release
      {format::EventTag::kFree, c},           // never allocated: a delta
      {format::EventTag::kAlloc, b},          // release 2 ago (c was 1 ago)
  };
  std::vector<uint8_t> rows(256);
  uint8_t* out = rows.data();
  uint64_t previous = 0;
  for (const Step& step : steps) {
    *out++ = format::MakeEventTag(step.tag, 0);
    out = preload::PutVarint(out, 1);
    if (step.tag == format::EventTag::kAlloc) out = preload::PutVarint(out, 16);
    out = preload::PutSvarint(out, static_cast<int64_t>(step.address - previous));
    if (step.tag == format::EventTag::kAlloc) out = preload::PutVarint(out, 1);
    previous = step.address;
  }
  rows.resize(out - rows.data());

  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  ASSERT_TRUE(
      preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state));
  // 0, then the delta from the previous event's address as an svarint.
  std::vector<uint8_t> expected = {0, 0xa0, 0x80, 0x80, 0xd0, 0xaa, 0x15,        // a - 0
                                   0, 0x60,                                      // b - a
                                   2, 1, 2, 2,                                   // references
                                   0, 0x80, 0xbf, 0x80, 0xb0, 0xd5, 0xaa, 0x3f,  // c - b
                                   2};
  EXPECT_EQ(AddressColumn(columns), expected);
  EXPECT_EQ(DecodeToLog(std::vector<uint8_t>(columns.data(), columns.data() + columns.size())),
            DecodeToLog(RowRecords(rows, 1)));
}

// An allocation older than the window is named by a delta; so is
// everything after Reset(), which a new thread's decoder starts from.
TEST(FormatRoundTripTest, ReferencesStayWithinTheWindowAndTheThread) {
  std::vector<uint8_t> rows;
  uint64_t previous = 0;
  auto put = [&](format::EventTag tag, uint64_t address) {
    uint8_t event[64];
    uint8_t* out = event;
    *out++ = format::MakeEventTag(tag, 0);
    out = preload::PutVarint(out, 0);
    if (tag == format::EventTag::kAlloc) out = preload::PutVarint(out, 32);
    out = preload::PutSvarint(out, static_cast<int64_t>(address - previous));
    if (tag == format::EventTag::kAlloc) out = preload::PutVarint(out, 1);
    rows.insert(rows.end(), event, out);
    previous = address;
  };
  static_assert(format::kAddressWindow == 4096);  // the 0x80 0x20 below
  const uint64_t x = 0x600000000000, y = 0x600000000100;
  put(format::EventTag::kAlloc, x);
  for (uint32_t i = 1; i < format::kAddressWindow; ++i) put(format::EventTag::kAlloc, y);
  put(format::EventTag::kFree, x);   // kAddressWindow allocations ago
  put(format::EventTag::kAlloc, y);  // never released: a delta
  put(format::EventTag::kFree, x);   // one allocation further: too old, a delta

  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  ASSERT_TRUE(
      preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state));
  std::vector<uint8_t> tail = AddressColumn(columns);
  tail.erase(tail.begin(), tail.end() - 2 - 3 - 3);
  EXPECT_EQ(tail, (std::vector<uint8_t>{0x80, 0x20,        // 4096
                                        0, 0x80, 0x04,     // y - x = 0x100
                                        0, 0xff, 0x03}));  // x - y = -0x100
  EXPECT_EQ(DecodeToLog(std::vector<uint8_t>(columns.data(), columns.data() + columns.size())),
            DecodeToLog(RowRecords(rows, 1)));

  // y was allocated a moment ago, but not since Reset().
  state.coder.Reset();
  columns.Clear();
  rows.clear();
  put(format::EventTag::kFree, y);
  ASSERT_TRUE(
      preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state));
  EXPECT_EQ(AddressColumn(columns), (std::vector<uint8_t>{0, 0x80, 0x04}));  // y - x
}

// Ticks strictly inside the window go down to a multiple of kTickQuantum,
// but never to its start or below, nor below the previous event's; the
// last event's stays exact, and so do those outside.
TEST(FormatRoundTripTest, TicksInsideTheRoundingWindowAreRoundedDown) {
  static_assert(format::kTickQuantum == 1024);
  const uint64_t ticks[] = {4000, 5000, 5100, 6200, 6300, 8191, 9000, 9500};
  std::vector<uint8_t> rows;
  uint64_t previous = 0;
  for (uint64_t tick : ticks) {
    uint8_t event[32];
    uint8_t* out = event;
    *out++ = format::MakeEventTag(format::EventTag::kFree, 0);
    out = preload::PutVarint(out, tick - previous);
    out = preload::PutSvarint(out, 0);
    rows.insert(rows.end(), event, out);
    previous = tick;
  }
  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  ASSERT_TRUE(preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state,
                                          preload::TickRounding{5000, 9000}));
  EXPECT_EQ(state.tick, 9500u);  // exact: rows may follow
  std::vector<uint64_t> decoded;
  for (const std::string& line :
       DecodeToLog(std::vector<uint8_t>(columns.data(), columns.data() + columns.size()))) {
    decoded.push_back(std::stoull(line.substr(line.find('@') + 1)));
  }
  EXPECT_EQ(decoded, (std::vector<uint64_t>{4000, 5000, 5001, 6144, 6144, 7168, 9000, 9500}));
}

TEST(FormatRoundTripTest, ReferenceBeyondWhatTheThreadHadIsDataLoss) {
  std::vector<uint8_t> record = {static_cast<uint8_t>(format::RecordType::kThreadEventColumns),
                                 5, 1, 1, 0, 1, 0};
  record.push_back(format::MakeEventTag(format::EventTag::kFree, 0));  // tags
  record.push_back(0);                                                // tick
  record.push_back(1);  // the most recent allocation: there is none
  EventLog log;
  analyzer::RecordDecoder decoder;
  absl::Status status = decoder.DecodeChunk(record, log);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("address reference 1"), std::string::npos) << status;
}

// Long records go through the decoder's unchecked fast path: every tag,
// kind and field length decodes as the rows do, and what it leaves to the
// checked path (a failed realloc) hands back exactly where it stopped.
TEST(FormatRoundTripTest, LongColumnRecordsDecodeAsRows) {
  std::vector<uint8_t> rows;
  uint64_t previous = 0;
  std::vector<uint64_t> live;
  uint64_t seed = 12345;
  const auto next = [&seed](uint64_t bound) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % bound;
  };
  for (int i = 0; i < 3000; ++i) {
    uint8_t event[64];
    uint8_t* out = event;
    uint64_t address;
    format::EventTag tag;
    const uint64_t choice = next(10);
    if (live.empty() || choice < 5) {
      tag = format::EventTag::kAlloc;
      address = next(4) == 0 ? 0x7f0000000000 + 16 * next(1 << 30)
                             : 0x555500000000 + 16 * next(4096);
      live.push_back(address);
    } else {
      const size_t at = next(live.size());
      address = live[at];
      tag = i == 2900 ? format::EventTag::kReallocFailed : format::EventTag::kFree;
      if (tag == format::EventTag::kFree) {
        live[at] = live.back();
        live.pop_back();
      }
    }
    const uint8_t kind = tag == format::EventTag::kAlloc  ? next(format::kAllocKindCount)
                         : tag == format::EventTag::kFree ? next(format::kFreeKindCount)
                                                          : 0;
    *out++ = format::MakeEventTag(tag, kind);
    out = preload::PutVarint(out, next(3) == 0 ? next(1 << 20) : next(100));
    if (tag == format::EventTag::kAlloc) {
      const uint64_t sizes[] = {1, 100, 300, 20000, uint64_t{1} << 33};
      out = preload::PutVarint(out, sizes[next(5)]);
    }
    out = preload::PutSvarint(out, static_cast<int64_t>(address - previous));
    if (tag == format::EventTag::kAlloc) out = preload::PutVarint(out, next(1 << 24));
    rows.insert(rows.end(), event, out);
    previous = address;
  }
  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  ASSERT_TRUE(
      preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state));
  const std::vector<std::string> from_columns =
      DecodeToLog(std::vector<uint8_t>(columns.data(), columns.data() + columns.size()));
  ASSERT_EQ(from_columns.size(), 3000u);
  EXPECT_EQ(from_columns, DecodeToLog(RowRecords(rows, 1)));
}

// A bad reference in the middle of a long record, where the fast path
// meets it: the same error as in a short one, the events before it handed on.
TEST(FormatRoundTripTest, ReferenceBeyondTheWindowInALongRecordIsDataLoss) {
  constexpr int kAllocations = 100;  // half before the bad reference
  std::vector<uint8_t> tags(kAllocations, format::MakeEventTag(format::EventTag::kAlloc, 0));
  tags.insert(tags.begin() + kAllocations / 2, format::MakeEventTag(format::EventTag::kFree, 0));
  const std::vector<uint8_t> ticks(kAllocations + 1, 0);
  const std::vector<uint8_t> sizes(kAllocations, 16);
  std::vector<uint8_t> addresses;
  for (int i = 0; i < kAllocations; ++i) {
    if (i == kAllocations / 2) addresses.insert(addresses.end(), {0x81, 0x20});  // 4097
    addresses.insert(addresses.end(), {0, 0x20});  // +16
  }
  const std::vector<uint8_t> stacks(kAllocations, 1);
  std::vector<uint8_t> record = {static_cast<uint8_t>(format::RecordType::kThreadEventColumns),
                                 5};
  const std::vector<uint8_t>* const kColumns[] = {&tags, &ticks, &sizes, &addresses, &stacks};
  for (const std::vector<uint8_t>* column : kColumns) {
    uint8_t length[preload::kMaxVarintSize];
    record.insert(record.end(), length, preload::PutVarint(length, column->size()));
  }
  for (const std::vector<uint8_t>* column : kColumns) {
    record.insert(record.end(), column->begin(), column->end());
  }
  EventLog log;
  analyzer::RecordDecoder decoder;
  absl::Status status = decoder.DecodeChunk(record, log);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("address reference 4097"), std::string::npos) << status;
  ASSERT_EQ(log.log.size(), static_cast<size_t>(kAllocations / 2));
  EXPECT_EQ(log.log.back(), "0 0 @0 320 size 16 stack 1");  // 50 x 16
}

TEST(FormatRoundTripTest, EventColumnsRejectUnknownTagsAndCutRecords) {
  std::vector<uint8_t> rows = RowEvents();
  preload::ChunkBuilder chunk;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  EXPECT_FALSE(preload::AppendEventColumns(chunk, scratch, 1, rows.data(), rows.size() - 1,
                                           state));
  rows.push_back(0xf0);  // tag 15: no such event
  EXPECT_FALSE(
      preload::AppendEventColumns(chunk, scratch, 1, rows.data(), rows.size(), state));
  EXPECT_EQ(chunk.size(), 0u);
  EXPECT_EQ(state.address, 0u);
}

TEST(FormatRoundTripTest, ColumnLongerThanItsEventsIsDataLoss) {
  const std::vector<uint8_t> rows = RowEvents();
  preload::ChunkBuilder columns;
  preload::ChunkBuilder scratch;
  preload::ColumnState state;
  ASSERT_TRUE(
      preload::AppendEventColumns(columns, scratch, 5, rows.data(), rows.size(), state));
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
