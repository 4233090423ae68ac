// TraceReader: header validation, chunk framing, truncation (a warning) vs
// corruption (an error), non-regular files.

#include "trace/trace_reader.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

using testing::TraceBuilder;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/trace_reader_test_" +
         std::to_string(getpid()) + "_" + name;
}

std::string WriteBytes(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Three chunks, each holding one RoundEnd record with tick 10, 20, 30.
TraceBuilder ThreeChunks() {
  TraceBuilder builder;
  builder.RoundEnd(10)
      .EndChunk()
      .RoundEnd(20)
      .EndChunk()
      .RoundEnd(30)
      .EndChunk();
  return builder;
}

// Reads every chunk; returns how many were read, or the error.
absl::StatusOr<int> ReadAll(TraceReader& reader) {
  int chunks = 0;
  while (true) {
    absl::StatusOr<bool> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!*next) return chunks;
    ++chunks;
  }
}

TEST(TraceReaderTest, ReadsEveryChunkOfAValidTrace) {
  TraceBuilder builder = ThreeChunks();
  const std::string path = WriteBytes("valid", builder.Build());
  absl::StatusOr<std::unique_ptr<TraceReader>> reader = TraceReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->header().pid, 4242u);
  absl::StatusOr<bool> next = (*reader)->Next();
  ASSERT_TRUE(next.ok() && *next);
  // RoundEnd(10): type byte 7, varint 10.
  ASSERT_EQ((*reader)->chunk().size(), 2u);
  EXPECT_EQ((*reader)->chunk()[0], 7);
  EXPECT_EQ((*reader)->chunk()[1], 10);
  EXPECT_EQ(*ReadAll(**reader), 2);
  EXPECT_FALSE((*reader)->truncated());
  EXPECT_TRUE((*reader)->warning().empty());
}

TEST(TraceReaderTest, MissingFileIsAnError) {
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(TempPath("does-not-exist"));
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("No such file"), std::string::npos);
}

TEST(TraceReaderTest, DirectoryIsRejected) {
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(::testing::TempDir());
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("directory"), std::string::npos);
}

TEST(TraceReaderTest, FifoIsRejectedWithoutBlocking) {
  const std::string path = TempPath("fifo");
  ::unlink(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  absl::StatusOr<std::unique_ptr<TraceReader>> reader = TraceReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("FIFO"), std::string::npos);
  ::unlink(path.c_str());
}

TEST(TraceReaderTest, DeviceIsRejected) {
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open("/dev/null");
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("device"), std::string::npos);
}

TEST(TraceReaderTest, EmptyFileIsAnError) {
  const std::string path = WriteBytes("empty", "");
  absl::StatusOr<std::unique_ptr<TraceReader>> reader = TraceReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("empty"), std::string::npos);
}

TEST(TraceReaderTest, BadMagicIsAnError) {
  std::string bytes = ThreeChunks().Build();
  bytes[0] = 'X';
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("bad-magic", bytes));
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("not a heaptrail trace"),
            std::string::npos);
}

TEST(TraceReaderTest, ForeignTextFileIsAnError) {
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("text", "hello\n"));
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("not a heaptrail trace"),
            std::string::npos);
}

TEST(TraceReaderTest, FutureVersionIsAClearError) {
  TraceBuilder builder = ThreeChunks();
  builder.header().version = format::kFormatVersion + 1;
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("future", builder.Build()));
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("newer than this heaptrail"),
            std::string::npos);
}

TEST(TraceReaderTest, InvalidHeaderSizeIsAnError) {
  TraceBuilder builder = ThreeChunks();
  builder.header().header_size = 12;
  EXPECT_FALSE(TraceReader::Open(WriteBytes("hsize", builder.Build())).ok());
}

TEST(TraceReaderTest, LargerHeaderIsSkipped) {
  TraceBuilder builder = ThreeChunks();
  builder.header().header_size = 100;  // a future minor extension
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("bigheader", builder.Build()));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*ReadAll(**reader), 3);
}

TEST(TraceReaderTest, TruncatedHeaderIsAnError) {
  const std::string bytes = ThreeChunks().Build().substr(0, 40);
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("short-header", bytes));
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("truncated file header"),
            std::string::npos);
}

TEST(TraceReaderTest, TruncatedLastChunkStopsWithAWarning) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  bytes.resize(bytes.size() - 3);  // cut into the last frame
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("cut", bytes));
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<int> chunks = ReadAll(**reader);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  EXPECT_EQ(*chunks, 2);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_NE(
      (*reader)->warning().find(
          "trace truncated after chunk 1 (the program was probably killed)"),
      std::string::npos)
      << (*reader)->warning();
}

TEST(TraceReaderTest, PartialChunkHeaderAtTheEndIsATruncation) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  bytes.resize(builder.chunk_offsets()[2] + 7);
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("cut-header", bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*ReadAll(**reader), 2);
  EXPECT_TRUE((*reader)->truncated());
}

TEST(TraceReaderTest, DamagedLastChunkStopsWithAWarning) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  bytes[bytes.size() - 2] ^= 0x55;  // the checksum of the last frame
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("damaged-last", bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*ReadAll(**reader), 2);
  EXPECT_TRUE((*reader)->truncated());
}

TEST(TraceReaderTest, ZeroFilledTailIsATruncation) {
  std::string bytes = ThreeChunks().Build();
  bytes.append(100, '\0');
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("zero-tail", bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*ReadAll(**reader), 3);
  EXPECT_TRUE((*reader)->truncated());
}

TEST(TraceReaderTest, FlippedByteInAMiddleChunkIsAnError) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  // The last byte of chunk 1's frame: part of its content checksum.
  bytes[builder.chunk_offsets()[2] - 1] ^= 0x01;
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("flip-middle", bytes));
  ASSERT_TRUE(reader.ok());
  absl::StatusOr<int> chunks = ReadAll(**reader);
  ASSERT_FALSE(chunks.ok());
  EXPECT_NE(chunks.status().message().find("chunk 1"), std::string::npos)
      << chunks.status();
  EXPECT_NE(chunks.status().message().find("corrupt"), std::string::npos);
}

TEST(TraceReaderTest, NoFlippedByteInTheFirstChunkChangesWhatIsRead) {
  TraceBuilder builder = ThreeChunks();
  const std::string clean = builder.Build();
  for (size_t i = builder.chunk_offsets()[0]; i < builder.chunk_offsets()[1];
       ++i) {
    std::string bytes = clean;
    bytes[i] ^= 0x20;
    absl::StatusOr<std::unique_ptr<TraceReader>> reader =
        TraceReader::Open(WriteBytes("flip-each", bytes));
    ASSERT_TRUE(reader.ok());
    absl::StatusOr<bool> next = (*reader)->Next();
    // An error, a truncation (a flipped size pointing past the end), or a
    // flip in a zstd header bit that does not change the content (the
    // checksum covers the content only): never different records.
    if (next.ok() && *next) {
      const std::span<const uint8_t> chunk = (*reader)->chunk();
      EXPECT_EQ(std::string(chunk.begin(), chunk.end()), "\x07\x0a")
          << "byte " << i;
    } else {
      EXPECT_TRUE(!next.ok() || (*reader)->truncated()) << "byte " << i;
    }
  }
}

TEST(TraceReaderTest, BadChunkMagicInTheMiddleIsAnError) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  bytes[builder.chunk_offsets()[1]] = 'Z';
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("chunk-magic", bytes));
  ASSERT_TRUE(reader.ok());
  absl::StatusOr<int> chunks = ReadAll(**reader);
  ASSERT_FALSE(chunks.ok());
  EXPECT_NE(chunks.status().message().find("bad chunk magic"),
            std::string::npos);
}

TEST(TraceReaderTest, SequenceGapIsAnError) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  format::ChunkHeader chunk;
  std::memcpy(&chunk, bytes.data() + builder.chunk_offsets()[1], sizeof(chunk));
  chunk.sequence = 5;
  std::memcpy(bytes.data() + builder.chunk_offsets()[1], &chunk, sizeof(chunk));
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("gap", bytes));
  ASSERT_TRUE(reader.ok());
  absl::StatusOr<int> chunks = ReadAll(**reader);
  ASSERT_FALSE(chunks.ok());
  EXPECT_NE(chunks.status().message().find("sequence number 5, expected 1"),
            std::string::npos);
}

TEST(TraceReaderTest, AbsurdRawSizeIsAnError) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  format::ChunkHeader chunk;
  std::memcpy(&chunk, bytes.data() + builder.chunk_offsets()[0], sizeof(chunk));
  chunk.raw_size = format::kMaxChunkRawSize + 1;
  std::memcpy(bytes.data() + builder.chunk_offsets()[0], &chunk, sizeof(chunk));
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("raw-size", bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(ReadAll(**reader).ok());
}

TEST(TraceReaderTest, WrongRawSizeIsAnError) {
  TraceBuilder builder = ThreeChunks();
  std::string bytes = builder.Build();
  format::ChunkHeader chunk;
  std::memcpy(&chunk, bytes.data() + builder.chunk_offsets()[0], sizeof(chunk));
  chunk.raw_size = 1;  // the frame holds 2 bytes
  std::memcpy(bytes.data() + builder.chunk_offsets()[0], &chunk, sizeof(chunk));
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("raw-size-small", bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(ReadAll(**reader).ok());
}

TEST(TraceReaderTest, FrameWithoutChecksumIsRejected) {
  TraceBuilder builder;
  std::string bytes = builder.Build();  // header only
  const std::string raw = "\x07\x0a";
  std::string frame(ZSTD_compressBound(raw.size()), '\0');
  frame.resize(
      ZSTD_compress(frame.data(), frame.size(), raw.data(), raw.size(), 1));
  format::ChunkHeader chunk{format::kChunkMagic,
                            static_cast<uint32_t>(frame.size()), 2, 0};
  bytes.append(reinterpret_cast<const char*>(&chunk), sizeof(chunk));
  bytes += frame;
  bytes +=
      TraceBuilder().RoundEnd(1).EndChunk().Build().substr(64);  // seq 0 again
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(WriteBytes("no-checksum", bytes));
  ASSERT_TRUE(reader.ok());
  absl::StatusOr<int> chunks = ReadAll(**reader);
  ASSERT_FALSE(chunks.ok());
  EXPECT_NE(chunks.status().message().find("no checksum"), std::string::npos);
}

}  // namespace
}  // namespace heaptrail::analyzer

namespace heaptrail::analyzer {
namespace {

// Chunks of incompressible records, over several pages of the file.
std::string PagesOfChunks() {
  testing::TraceBuilder builder;
  uint64_t state = 88172645463325252ull;
  for (int chunk = 0; chunk < 20; ++chunk) {
    std::string executable(4000, 'x');
    for (char& c : executable) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      c = static_cast<char>('a' + state % 26);
    }
    builder.ProcessInfo(executable, {}).EndChunk();
  }
  return builder.Build();
}

// The file is mapped: pages past the end of a file truncated under the
// reader raise SIGBUS, which must come back as an error, whether it hits a
// chunk header or the middle of a frame being decompressed.
TEST(TraceReaderTest, FileThatShrinksWhileBeingReadIsAnError) {
  const std::string bytes = PagesOfChunks();
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  ASSERT_GT(bytes.size(), 6 * page);
  for (const TraceReader::Access access :
       {TraceReader::Access::kMapped, TraceReader::Access::kRead}) {
    for (size_t cut = page; cut < bytes.size(); cut += page) {
      const std::string path = WriteBytes("shrinks", bytes);
      absl::StatusOr<std::unique_ptr<TraceReader>> reader =
          TraceReader::Open(path, access);
      ASSERT_TRUE(reader.ok()) << reader.status();
      ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(cut)), 0);
      absl::StatusOr<int> chunks = ReadAll(**reader);
      ASSERT_FALSE(chunks.ok()) << "cut at " << cut;
      EXPECT_NE(
          chunks.status().message().find("shrank while it was being read"),
          std::string::npos)
          << chunks.status();
    }
  }
}

// What reading a file gives: each chunk's bytes, then the end (with the
// warning) or the error.
std::string Outcome(const std::string& path, TraceReader::Access access) {
  absl::StatusOr<std::unique_ptr<TraceReader>> reader =
      TraceReader::Open(path, access);
  if (!reader.ok()) return "open: " + reader.status().ToString();
  std::string outcome;
  while (true) {
    absl::StatusOr<bool> next = (*reader)->Next();
    if (!next.ok()) return outcome + "error: " + next.status().ToString();
    if (!*next) return outcome + "end: " + (*reader)->warning();
    const std::span<const uint8_t> chunk = (*reader)->chunk();
    outcome.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    outcome += "|";
  }
}

// pread() is what a file that cannot be mapped gets: the same chunks, the
// same truncations and errors.
TEST(TraceReaderTest, MappedAndReadFilesGiveTheSameChunksAndErrors) {
  testing::TraceBuilder builder = ThreeChunks();
  const std::string valid = builder.Build();
  std::string damaged = valid;
  damaged[builder.chunk_offsets()[1] + sizeof(format::ChunkHeader) + 5] ^= 0x40;
  const struct {
    std::string bytes;
    std::string outcome;  // a part of it
  } files[] = {
      {valid, "|end: "},
      {valid.substr(0, valid.size() - 3), "end: trace truncated after chunk 1"},
      {damaged, "error: DATA_LOSS"},
      {valid + std::string(100, '\0'), "end: trace truncated after chunk 2"},
      {valid.substr(0, 40), "open: DATA_LOSS"},
      {PagesOfChunks(), "|end: "},
  };
  for (const auto& [bytes, outcome] : files) {
    const std::string path = WriteBytes("access", bytes);
    const std::string mapped = Outcome(path, TraceReader::Access::kMapped);
    EXPECT_NE(mapped.find(outcome), std::string::npos) << mapped;
    EXPECT_EQ(Outcome(path, TraceReader::Access::kRead), mapped);
  }
}

}  // namespace
}  // namespace heaptrail::analyzer
