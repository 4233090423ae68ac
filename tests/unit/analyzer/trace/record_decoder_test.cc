// RecordDecoder: typed records, per-thread delta state across records, and
// rejection of malformed input.

#include "trace/record_decoder.h"

#include <zstd.h>

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

using testing::TraceBuilder;

// Collects everything the decoder hands on, as text, for exact comparison.
class LogSink : public RecordSink {
 public:
  void OnEvents(std::span<const Event> events) override {
    for (const Event& e : events) OnEvent(e);
  }
  void OnEvent(const Event& e) {
    switch (e.type) {
      case EventType::kAlloc:
        log.push_back(absl::StrCat("alloc t", e.thread, " @", e.tick, " 0x",
                                   absl::Hex(e.address), " ", e.size, " s",
                                   e.stack_id, " k", e.kind));
        break;
      case EventType::kFree:
        log.push_back(absl::StrCat(
            "free t", e.thread, " @", e.tick, " 0x", absl::Hex(e.address),
            " k", e.kind, e.stack_id != 0 ? absl::StrCat(" s", e.stack_id) : ""));
        break;
      default:
        log.push_back(absl::StrCat("realloc-failed t", e.thread, " @", e.tick,
                                   " 0x", absl::Hex(e.address)));
    }
  }
  absl::Status OnThreadStart(const ThreadStartRecord& r) override {
    log.push_back(absl::StrCat("start t", r.thread, " i", r.thread_index,
                               " tid", r.os_tid, " @", r.tick));
    return absl::OkStatus();
  }
  absl::Status OnThreadEnd(const ThreadEndRecord& r) override {
    log.push_back(absl::StrCat("end t", r.thread, " @", r.tick, " ", r.name));
    return absl::OkStatus();
  }
  absl::Status OnStackNodes(StackNodesRecord& r) override {
    std::string s = absl::StrCat("nodes ", r.first_id);
    for (const StackNode& n : r.nodes) {
      absl::StrAppend(&s, " (", n.parent, ",0x", absl::Hex(n.ip), ",", n.epoch,
                      ")");
    }
    log.push_back(s);
    return absl::OkStatus();
  }
  absl::Status OnModuleLoad(ModuleLoadRecord& r) override {
    std::string s = absl::StrCat(
        "load ", r.module_id, " e", r.epoch, " ", r.info.path, " bias0x",
        absl::Hex(r.info.load_bias), " id", r.info.build_id.size());
    for (const Segment& seg : r.info.segments) {
      absl::StrAppend(&s, " [0x", absl::Hex(seg.vaddr), "+", seg.memsz, "]");
    }
    log.push_back(s);
    return absl::OkStatus();
  }
  absl::Status OnModuleUnload(const ModuleUnloadRecord& r) override {
    log.push_back(absl::StrCat("unload ", r.module_id, " e", r.epoch));
    return absl::OkStatus();
  }
  absl::Status OnRoundEnd(uint64_t tick) override {
    log.push_back(absl::StrCat("round ", tick));
    return absl::OkStatus();
  }
  absl::Status OnClockSync(const ClockSyncRecord& r) override {
    log.push_back(absl::StrCat("sync ", r.tick, " ", r.mono_ns));
    return absl::OkStatus();
  }
  absl::Status OnRss(const RssRecord& r) override {
    log.push_back(absl::StrCat("rss ", r.tick, " ", r.rss_bytes));
    return absl::OkStatus();
  }
  absl::Status OnSnapshot(SnapshotRecord& r) override {
    log.push_back(absl::StrCat("snapshot ", r.tick, " ",
                               static_cast<int>(r.source), " ", r.label));
    return absl::OkStatus();
  }
  absl::Status OnProcessInfo(ProcessInfoRecord& r) override {
    log.push_back(absl::StrCat("process ", r.executable, " ", r.argv.size()));
    return absl::OkStatus();
  }
  absl::Status OnEnd(uint64_t tick) override {
    log.push_back(absl::StrCat("the end ", tick));
    return absl::OkStatus();
  }
  absl::Status OnPythonInterpreter(const PythonInterpreterRecord& r) override {
    log.push_back(absl::StrCat("python 0x", absl::Hex(r.version), " 0x",
                               absl::Hex(r.runtime_address)));
    return absl::OkStatus();
  }
  absl::Status OnPythonCode(PythonCodeRecord& r) override {
    std::string table;
    for (uint8_t byte : r.code.line_table) {
      absl::StrAppend(&table, absl::Hex(byte, absl::kZeroPad2));
    }
    log.push_back(absl::StrCat("code ", r.code_id, " ", r.code.first_line, " ",
                               r.code.file, " ", r.code.qualified_name, " ",
                               table));
    return absl::OkStatus();
  }

  std::vector<std::string> log;
};

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A kThreadEvents record around hand-encoded event bytes.
std::string ThreadEventsRecord(uint64_t thread, const std::string& events) {
  std::string r(1, static_cast<char>(format::RecordType::kThreadEvents));
  TraceBuilder::PutVarint(r, thread);
  TraceBuilder::PutVarint(r, events.size());
  return r + events;
}

TEST(RecordDecoderTest, DecodesEveryRecordType) {
  std::string records;
  auto append = [&](std::string bytes) { records += bytes; };
  std::string r;
  r.push_back(static_cast<char>(format::RecordType::kThreadStart));
  TraceBuilder::PutVarint(r, 7);
  TraceBuilder::PutVarint(r, 1234);
  TraceBuilder::PutVarint(r, 5);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kStackNodes));
  TraceBuilder::PutVarint(r, 1);  // first id
  TraceBuilder::PutVarint(r, 3);  // count
  TraceBuilder::PutVarint(r, 1);   // node 1's parent, 0, one before it
  TraceBuilder::PutSvarint(r, 0);  // ip number -1 + 1: a new ip, 0x1000
  TraceBuilder::PutSvarint(r, 0x1000);
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutSvarint(r, 0);  // ip number 1: new, 0x10 below 0x1000
  TraceBuilder::PutSvarint(r, -0x10);
  TraceBuilder::PutVarint(r, 2);
  TraceBuilder::PutVarint(r, 2);    // node 3's parent, 1
  TraceBuilder::PutSvarint(r, -2);  // ip number 1 + 1 - 2 = 0: 0x1000
  TraceBuilder::PutVarint(r, 0);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kModuleLoad));
  TraceBuilder::PutVarint(r, 3);
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutString(r, "/lib/libc.so.6");
  TraceBuilder::PutVarint(r, 0x7f0000000000);
  TraceBuilder::PutString(r, "abcd");
  TraceBuilder::PutVarint(r, 1);
  for (uint64_t v : {0x1000, 0x500, 0x1000, 5}) TraceBuilder::PutVarint(r, v);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kModuleUnload));
  TraceBuilder::PutVarint(r, 3);
  TraceBuilder::PutVarint(r, 1);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kClockSync));
  TraceBuilder::PutVarint(r, 100);
  TraceBuilder::PutVarint(r, 50);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kRss));
  TraceBuilder::PutVarint(r, 101);
  TraceBuilder::PutVarint(r, 4096);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kSnapshot));
  TraceBuilder::PutVarint(r, 102);
  TraceBuilder::PutVarint(r, 2);
  TraceBuilder::PutString(r, "tick");
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kProcessInfo));
  TraceBuilder::PutString(r, "/bin/true");
  TraceBuilder::PutVarint(r, 2);
  TraceBuilder::PutString(r, "true");
  TraceBuilder::PutString(r, "-x");
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kThreadEnd));
  TraceBuilder::PutVarint(r, 7);
  TraceBuilder::PutVarint(r, 200);
  TraceBuilder::PutString(r, "worker");
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kPythonInterpreter));
  TraceBuilder::PutVarint(r, 0x030b02f0);
  TraceBuilder::PutVarint(r, 0x55d0'0042'1000);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kPythonCode));
  TraceBuilder::PutVarint(r, 3);
  TraceBuilder::PutVarint(r, 12);
  TraceBuilder::PutString(r, "/srv/app.py");
  TraceBuilder::PutString(r, "Loader.load");
  TraceBuilder::PutString(r, "\xe9\x02\xf8");
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kRoundEnd));
  TraceBuilder::PutVarint(r, 300);
  append(r);
  r.assign(1, static_cast<char>(format::RecordType::kEnd));
  TraceBuilder::PutVarint(r, 301);
  append(r);

  RecordDecoder decoder;
  LogSink sink;
  ASSERT_TRUE(decoder.DecodeChunk(Span(records), sink).ok());
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{
                "start t0 i7 tid1234 @5",
                "nodes 1 (0,0x1000,0) (1,0xff0,2) (1,0x1000,0)",
                "load 3 e0 /lib/libc.so.6 bias0x7f0000000000 id4 [0x1000+1280]",
                "unload 3 e1",
                "sync 100 50",
                "rss 101 4096",
                "snapshot 102 2 tick",
                "process /bin/true 2",
                "end t0 @200 worker",
                "python 0x30b02f0 0x55d000421000",
                "code 3 12 /srv/app.py Loader.load e902f8",
                "round 300",
                "the end 301",
            }));
  EXPECT_EQ(decoder.stack_node_count(), 4u);
  EXPECT_EQ(decoder.thread_index(0), 7u);
}

TEST(RecordDecoderTest, DeltaStateCarriesAcrossRecordsAndChunks) {
  TraceBuilder builder;
  builder.Alloc(3, 100, 0x5000, 16, 1)
      .Alloc(9, 105, 0x9000, 32, 2, format::AllocKind::kNew)
      .FlushEvents()
      .Free(3, 110, 0x5000)
      .Alloc(3, 111, 0x4ff0, 8, 1, format::AllocKind::kCalloc)
      .EndChunk()
      .FreeWithStack(9, 120, 0x9000, 2, format::FreeKind::kDelete)
      .Free(3, 121, 0x4ff0, format::FreeKind::kRealloc)
      .ReallocFailed(3, 122, 0x4ff0);
  const std::string file = builder.Build();
  RecordDecoder decoder;
  LogSink sink;
  const std::vector<size_t>& offsets = builder.chunk_offsets();
  for (size_t i = 0; i < offsets.size(); ++i) {
    // Decompress the frame by hand: this test is about the decoder alone.
    const size_t begin = offsets[i] + sizeof(format::ChunkHeader);
    const size_t end = i + 1 < offsets.size() ? offsets[i + 1] : file.size();
    format::ChunkHeader chunk;
    std::memcpy(&chunk, file.data() + offsets[i], sizeof(chunk));
    std::string raw(chunk.raw_size, '\0');
    ASSERT_EQ(ZSTD_decompress(raw.data(), raw.size(), file.data() + begin,
                              end - begin),
              raw.size());
    ASSERT_TRUE(decoder.DecodeChunk(Span(raw), sink).ok());
  }
  EXPECT_EQ(sink.log, (std::vector<std::string>{
                          "alloc t0 @100 0x5000 16 s1 k0",
                          "alloc t1 @105 0x9000 32 s2 k9",
                          "free t0 @110 0x5000 k0",
                          "alloc t0 @111 0x4ff0 8 s1 k1",
                          "free t1 @120 0x9000 k4 s2",
                          "free t0 @121 0x4ff0 k3",
                          "realloc-failed t0 @122 0x4ff0",
                      }));
  EXPECT_EQ(decoder.thread_count(), 2u);
  EXPECT_EQ(decoder.thread_index(1), 9u);
}

// Enough events for the unchecked row decoder to take most of them, with
// sizes of every varint length (1 to 8 bytes, and the largest allowed) and
// address deltas of both signs.
TEST(RecordDecoderTest, RowFastPathDecodesEverySizeLength) {
  const uint64_t sizes[] = {0,          1,          127,
                            128,        16383,      16384,
                            2097151,    2097152,    uint64_t{1} << 35,
                            uint64_t{1} << 49,      Event::kMaxSize};
  std::string events;
  std::vector<std::string> expected;
  uint64_t address = 0;
  uint64_t tick = 0;
  for (int round = 0; round < 4; ++round) {
    for (const uint64_t size : sizes) {
      const uint64_t next = 0x7f0000001000 + (round % 2 == 0 ? 16 : -16) *
                                                 static_cast<int64_t>(size % 97);
      events.push_back(static_cast<char>(
          format::MakeEventTag(format::EventTag::kAlloc, 0)));
      TraceBuilder::PutVarint(events, 1);  // dtick
      TraceBuilder::PutVarint(events, size);
      TraceBuilder::PutSvarint(events, static_cast<int64_t>(next - address));
      TraceBuilder::PutVarint(events, 7);  // stack
      address = next;
      tick += 1;
      expected.push_back(absl::StrCat("alloc t0 @", tick, " 0x",
                                      absl::Hex(address), " ", size, " s7 k0"));
    }
  }
  RecordDecoder decoder;
  LogSink sink;
  ASSERT_TRUE(decoder.DecodeChunk(Span(ThreadEventsRecord(1, events)), sink).ok());
  EXPECT_EQ(sink.log, expected);
}

absl::Status Decode(const std::string& records) {
  RecordDecoder decoder;
  LogSink sink;
  return decoder.DecodeChunk(Span(records), sink);
}

// Traces of format version 5 still read: stack node parents by id, event
// columns with whole addresses.
TEST(RecordDecoderTest, Version5NodesAndColumnsDecode) {
  std::string r(1, static_cast<char>(format::RecordType::kStackNodes));
  TraceBuilder::PutVarint(r, 1);  // first id
  TraceBuilder::PutVarint(r, 2);  // count
  TraceBuilder::PutVarint(r, 0);  // node 1's parent, by id
  TraceBuilder::PutSvarint(r, 0x1000);
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutVarint(r, 1);  // node 2's
  TraceBuilder::PutSvarint(r, 0x10);
  TraceBuilder::PutVarint(r, 0);
  r.push_back(static_cast<char>(format::RecordType::kThreadEventColumns));
  for (int byte : {3, 2, 2, 1, 16, 1})
    r.push_back(static_cast<char>(byte));  // thread, lengths
  r.push_back(
      static_cast<char>(format::MakeEventTag(format::EventTag::kAlloc, 0)));
  r.push_back(
      static_cast<char>(format::MakeEventTag(format::EventTag::kFree, 0)));
  r += std::string{5, 1};  // ticks
  r += std::string{24};    // size
  for (int i = 0; i < 2; ++i)
    r += std::string{0x10, 0x20, 0x30, 0x40, 0, 0, 0, 0};
  r += std::string{2};  // stack
  RecordDecoder decoder(5);
  LogSink sink;
  ASSERT_TRUE(decoder.DecodeChunk(Span(r), sink).ok());
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"nodes 1 (0,0x1000,0) (1,0x1010,0)",
                                      "alloc t0 @5 0x40302010 24 s2 k0",
                                      "free t0 @6 0x40302010 k0"}));
}

TEST(RecordDecoderTest, Version6NodesHaveDeltasWithinTheirRecord) {
  std::string r(1, static_cast<char>(format::RecordType::kStackNodes));
  for (int v : {1, 2, 1}) TraceBuilder::PutVarint(r, v);  // ids 1-2; parent 0
  TraceBuilder::PutSvarint(r, 0x1000);
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutSvarint(r, 0x10);
  TraceBuilder::PutVarint(r, 0);
  r.push_back(static_cast<char>(format::RecordType::kStackNodes));
  for (int v : {3, 1, 1}) TraceBuilder::PutVarint(r, v);  // id 3; parent 2
  TraceBuilder::PutSvarint(r, 0x2000);  // from 0 again: a new record
  TraceBuilder::PutVarint(r, 0);
  RecordDecoder decoder(6);
  LogSink sink;
  ASSERT_TRUE(decoder.DecodeChunk(Span(r), sink).ok());
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"nodes 1 (0,0x1000,0) (1,0x1010,0)",
                                      "nodes 3 (2,0x2000,0)"}));
}

TEST(RecordDecoderTest, IpNumberBeyondTheKnownIpsIsAnError) {
  std::string r(1, static_cast<char>(format::RecordType::kStackNodes));
  for (int v : {1, 2, 1, 0}) TraceBuilder::PutVarint(r, v);  // node 1: new ip 0
  TraceBuilder::PutSvarint(r, 0x1000);
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutSvarint(r, 1);  // ip number 2, with only 0 known
  TraceBuilder::PutVarint(r, 0);
  absl::Status status = Decode(r);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("ip number 2 is beyond the 1 known ips"),
            std::string::npos)
      << status.message();
}

TEST(RecordDecoderTest, ThreadIndexAboveTheLimitIsAnError) {
  std::string r(1, static_cast<char>(format::RecordType::kThreadStart));
  TraceBuilder::PutVarint(r, format::kMaxThreadIndex + 1);
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutVarint(r, 1);
  absl::Status status = Decode(r);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("thread index"), std::string::npos);
}

TEST(RecordDecoderTest, UnknownRecordTypeIsAnError) {
  absl::Status status = Decode("\x63");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("unknown record type 99"), std::string::npos);
  EXPECT_FALSE(Decode(std::string(1, '\0')).ok());
}

TEST(RecordDecoderTest, TruncatedRecordIsAnError) {
  std::string r(1, static_cast<char>(format::RecordType::kClockSync));
  TraceBuilder::PutVarint(r, 100);
  EXPECT_FALSE(Decode(r).ok());
}

TEST(RecordDecoderTest, EventBytesLongerThanTheChunkAreAnError) {
  std::string r(1, static_cast<char>(format::RecordType::kThreadEvents));
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutVarint(r, 1ull << 40);
  r += "abc";
  EXPECT_FALSE(Decode(r).ok());
}

TEST(RecordDecoderTest, EventCutInsideItsRecordIsAnError) {
  std::string events(
      1, static_cast<char>(format::MakeEventTag(format::EventTag::kAlloc, 0)));
  TraceBuilder::PutVarint(events, 1);   // dtick
  TraceBuilder::PutVarint(events, 16);  // size; address and stack missing
  absl::Status status = Decode(ThreadEventsRecord(0, events));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("events of thread 0"), std::string::npos);
}

TEST(RecordDecoderTest, UnknownEventTagAndKindsAreErrors) {
  std::string bad_tag = "\x50\x01\x02";
  EXPECT_FALSE(Decode(ThreadEventsRecord(0, bad_tag)).ok());
  std::string bad_alloc_kind(
      1, static_cast<char>(format::MakeEventTag(format::EventTag::kAlloc, 13)));
  bad_alloc_kind += "\x01\x01\x01\x01";
  EXPECT_FALSE(Decode(ThreadEventsRecord(0, bad_alloc_kind)).ok());
  std::string bad_free_kind(
      1, static_cast<char>(format::MakeEventTag(format::EventTag::kFree, 8)));
  bad_free_kind += "\x01\x01";
  EXPECT_FALSE(Decode(ThreadEventsRecord(0, bad_free_kind)).ok());
  std::string bad_free_with_stack_kind(
      1, static_cast<char>(
             format::MakeEventTag(format::EventTag::kFreeWithStack, 8)));
  bad_free_with_stack_kind += "\x01\x01\x01";
  EXPECT_FALSE(Decode(ThreadEventsRecord(0, bad_free_with_stack_kind)).ok());
}

TEST(RecordDecoderTest, StackNodeIdsMustBeDense) {
  std::string r(1, static_cast<char>(format::RecordType::kStackNodes));
  TraceBuilder::PutVarint(r, 2);  // node 1 was never given
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutSvarint(r, 1);
  TraceBuilder::PutVarint(r, 0);
  absl::Status status = Decode(r);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("dense"), std::string::npos);
}

TEST(RecordDecoderTest, StackNodeParentMustPrecedeIt) {
  for (uint64_t distance : {0, 2}) {  // the node itself; node -1
    std::string r(1, static_cast<char>(format::RecordType::kStackNodes));
    TraceBuilder::PutVarint(r, 1);
    TraceBuilder::PutVarint(r, 1);
    TraceBuilder::PutVarint(r, distance);
    TraceBuilder::PutSvarint(r, 1);
    TraceBuilder::PutVarint(r, 0);
    absl::Status status = Decode(r);
    ASSERT_FALSE(status.ok()) << distance;
    EXPECT_NE(status.message().find("parent"), std::string::npos) << status;
  }
}

TEST(RecordDecoderTest, AbsurdStackNodeCountIsRejectedBeforeAllocating) {
  std::string r(1, static_cast<char>(format::RecordType::kStackNodes));
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutVarint(r, 1ull << 60);
  EXPECT_FALSE(Decode(r).ok());
}

TEST(RecordDecoderTest, OversizedStringsAreRejected) {
  std::string r(1, static_cast<char>(format::RecordType::kSnapshot));
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutVarint(r, 0);
  TraceBuilder::PutVarint(r, format::kMaxStringSize + 1);
  r += std::string(format::kMaxStringSize + 1, 'x');
  EXPECT_FALSE(Decode(r).ok());
}

TEST(RecordDecoderTest, TooManySegmentsOrBuildIdBytesAreRejected) {
  std::string base(1, static_cast<char>(format::RecordType::kModuleLoad));
  TraceBuilder::PutVarint(base, 1);
  TraceBuilder::PutVarint(base, 0);
  TraceBuilder::PutString(base, "/lib/x.so");
  TraceBuilder::PutVarint(base, 0);
  std::string big_id = base;
  TraceBuilder::PutString(big_id,
                          std::string(format::kMaxBuildIdSize + 1, 'b'));
  TraceBuilder::PutVarint(big_id, 0);
  EXPECT_FALSE(Decode(big_id).ok());
  std::string many_segments = base;
  TraceBuilder::PutString(many_segments, "");
  TraceBuilder::PutVarint(many_segments, format::kMaxSegments + 1);
  EXPECT_FALSE(Decode(many_segments).ok());
}

TEST(RecordDecoderTest, SnapshotSourceOutOfRangeIsAnError) {
  std::string r(1, static_cast<char>(format::RecordType::kSnapshot));
  TraceBuilder::PutVarint(r, 1);
  TraceBuilder::PutVarint(r, 4);
  TraceBuilder::PutString(r, "");
  EXPECT_FALSE(Decode(r).ok());
}

// A kPythonCode record: id, first line, file, name, then the table.
std::string PythonCodeRecordBytes(uint64_t id, uint64_t first_line,
                                  uint64_t table_size,
                                  const std::string& table) {
  std::string r(1, static_cast<char>(format::RecordType::kPythonCode));
  TraceBuilder::PutVarint(r, id);
  TraceBuilder::PutVarint(r, first_line);
  TraceBuilder::PutString(r, "app.py");
  TraceBuilder::PutString(r, "f");
  TraceBuilder::PutVarint(r, table_size);
  return r + table;
}

TEST(RecordDecoderTest, PythonCodeRecordsAreCheckedAgainstTheLimits) {
  EXPECT_TRUE(Decode(PythonCodeRecordBytes(1, 1, 2, "\xe8\x02")).ok());
  EXPECT_TRUE(Decode(PythonCodeRecordBytes(format::kMaxPythonCodeId, 1, 0, ""))
                  .ok());

  absl::Status status = Decode(PythonCodeRecordBytes(0, 1, 0, ""));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "record at offset 0: Python code id 0");

  status = Decode(PythonCodeRecordBytes(uint64_t{format::kMaxPythonCodeId} + 1,
                                        1, 0, ""));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Python code id 2147483648 at offset 1 "
                                  "exceeds the limit 2147483647"),
            std::string::npos)
      << status.message();

  status = Decode(PythonCodeRecordBytes(1, uint64_t{1} << 31, 0, ""));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Python first line"), std::string::npos);

  // Oversized: refused from the size alone, before any byte is read.
  status = Decode(PythonCodeRecordBytes(
      1, 1, format::kMaxPythonLineTableSize + 1, "\xe8"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Python line table size 1048577"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("exceeds the limit 1048576"),
            std::string::npos);

  // The largest table passes.
  const std::string largest(format::kMaxPythonLineTableSize, '\x80');
  EXPECT_TRUE(Decode(PythonCodeRecordBytes(
                         1, 1, format::kMaxPythonLineTableSize, largest))
                  .ok());

  status = Decode(PythonCodeRecordBytes(1, 1, 10, "\xe8\x02"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Python line table of 10 bytes"),
            std::string::npos)
      << status.message();

  std::string long_name(1, static_cast<char>(format::RecordType::kPythonCode));
  TraceBuilder::PutVarint(long_name, 1);
  TraceBuilder::PutVarint(long_name, 1);
  TraceBuilder::PutString(long_name, "app.py");
  TraceBuilder::PutString(long_name,
                          std::string(format::kMaxStringSize + 1, 'x'));
  status = Decode(long_name);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Python qualified name"), std::string::npos);
}

TEST(RecordDecoderTest, PythonInterpreterNeedsItsRuntimeAddress) {
  std::string r(1, static_cast<char>(format::RecordType::kPythonInterpreter));
  TraceBuilder::PutVarint(r, 0x030d00f0);
  std::string zero = r;
  TraceBuilder::PutVarint(zero, 0);
  absl::Status status = Decode(zero);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("runtime address 0"), std::string::npos);

  std::string big_version(
      1, static_cast<char>(format::RecordType::kPythonInterpreter));
  TraceBuilder::PutVarint(big_version, uint64_t{1} << 32);
  TraceBuilder::PutVarint(big_version, 0x1000);
  EXPECT_FALSE(Decode(big_version).ok());

  EXPECT_FALSE(Decode(r).ok());  // cut before the address
}

}  // namespace
}  // namespace heaptrail::analyzer
