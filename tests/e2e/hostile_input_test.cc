// `heaptrail report` on hostile files, starting from a real multi-chunk
// trace: wrong magic, a future version, zero length, a cut at every chunk
// boundary and inside every chunk, flipped bytes, absurd declared lengths, a
// directory and a FIFO. Each ends in either a report (a cut trace: with a
// warning) or one clear error line and a non-zero exit; never a crash, a
// hang (every run is under `timeout`), an unbounded allocation (1 GiB of
// address space) or a sanitizer report.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "heaptrail/trace_format.h"
#include "tracing.h"

namespace heaptrail::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kTimedOut = 124;  // timeout(1)'s status

class HostileInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir());
    // Several chunks, small ones: the writer ends a chunk at least every
    // 100 ms, and this sample sleeps 400 ms between its 20 allocations.
    std::string trace = *dir_ + "/valid.trace";
    ProcessResult run = RunPreloaded({SamplesDir() + "/fd_hostile", "close_all"}, trace);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    valid_ = new std::string(ReadFile(trace));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete valid_;
  }

  // Offsets of every chunk header in `file`.
  static std::vector<size_t> ChunkOffsets(const std::string& file) {
    std::vector<size_t> offsets;
    format::FileHeader header;
    std::memcpy(&header, file.data(), sizeof(header));
    for (size_t offset = header.header_size; offset + sizeof(format::ChunkHeader) <= file.size();) {
      format::ChunkHeader chunk;
      std::memcpy(&chunk, file.data() + offset, sizeof(chunk));
      offsets.push_back(offset);
      offset += sizeof(chunk) + chunk.compressed_size;
    }
    return offsets;
  }

  // Writes `content` as a trace and reports it (under a time limit).
  ProcessResult ReportOn(const std::string& content) {
    std::string path = *dir_ + "/hostile.trace";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return ReportPath(path);
  }

  static ProcessResult ReportPath(const std::string& path) {
    if (!memory_limited_) {
      return RunProcess({"timeout", "20", CliPath(), "report", path, "--format", "json"});
    }
    return RunProcess({"/bin/sh", "-c",
                       "ulimit -v 1048576 && exec timeout 20 \"$0\" report \"$1\" --format json",
                       CliPath(), path});
  }

  // Either a clean report, or one error line and a non-zero exit.
  static void ExpectHandled(const ProcessResult& result, const std::string& what) {
    EXPECT_NE(result.exit_code, kTimedOut) << what << ": hangs";
    EXPECT_LT(result.exit_code, 128) << what << ": crashed\n" << result.err;
    EXPECT_EQ(result.err.find("Sanitizer"), std::string::npos) << what << "\n" << result.err;
    EXPECT_EQ(result.err.find("runtime error"), std::string::npos) << what << "\n" << result.err;
    if (result.exit_code != 0) ExpectOneErrorLine(result, what);
  }

  static void ExpectOneErrorLine(const ProcessResult& result, const std::string& what) {
    EXPECT_NE(result.exit_code, 0) << what;
    EXPECT_NE(result.exit_code, kTimedOut) << what << ": hangs";
    EXPECT_LT(result.exit_code, 128) << what << ": crashed";
    EXPECT_EQ(Occurrences(result.err, "\n"), 1u) << what << "\n" << result.err;
    EXPECT_EQ(result.err.rfind("heaptrail: error: ", 0), 0u) << what << "\n" << result.err;
  }

  static std::string* dir_;
  static std::string* valid_;
  // Bounded memory: every report runs with 1 GiB of address space, except
  // under ASan, whose shadow memory needs more (its allocator reports absurd
  // sizes by itself).
#ifdef HEAPTRAIL_CLI_SANITIZED
  static constexpr bool memory_limited_ = false;
#else
  static constexpr bool memory_limited_ = true;
#endif
};

std::string* HostileInputTest::dir_ = nullptr;
std::string* HostileInputTest::valid_ = nullptr;

TEST_F(HostileInputTest, ValidTraceHasSeveralChunks) {
  EXPECT_GE(ChunkOffsets(*valid_).size(), 3u);
  ProcessResult result = ReportOn(*valid_);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
}

TEST_F(HostileInputTest, WrongMagic) {
  std::string file = *valid_;
  file[0] = 'X';
  ExpectOneErrorLine(ReportOn(file), "wrong magic");
}

TEST_F(HostileInputTest, FutureVersion) {
  std::string file = *valid_;
  uint32_t version = format::kFormatVersion + 1;
  std::memcpy(file.data() + offsetof(format::FileHeader, version), &version, sizeof(version));
  ProcessResult result = ReportOn(file);
  ExpectOneErrorLine(result, "future version");
  EXPECT_NE(result.err.find("version"), std::string::npos) << result.err;
}

TEST_F(HostileInputTest, ZeroLength) { ExpectOneErrorLine(ReportOn(""), "zero length"); }

// A cut exactly at a chunk boundary is a trace whose program died there;
// a cut inside a chunk is a killed program's last, partial chunk. Both
// report what came before, with a warning. A cut inside the file header is
// an error.
TEST_F(HostileInputTest, TruncatedAtEveryChunkBoundaryAndInsideEveryChunk) {
  std::vector<size_t> offsets = ChunkOffsets(*valid_);
  for (size_t i = 0; i < offsets.size(); ++i) {
    size_t next = i + 1 < offsets.size() ? offsets[i + 1] : valid_->size();
    for (size_t cut : {offsets[i], offsets[i] + 7, offsets[i] + sizeof(format::ChunkHeader),
                       (offsets[i] + next) / 2, next - 1}) {
      SCOPED_TRACE("cut at " + std::to_string(cut));
      ProcessResult result = ReportOn(valid_->substr(0, cut));
      EXPECT_EQ(result.exit_code, 0) << result.err;
      EXPECT_NE(result.err.find("warning"), std::string::npos) << result.err;
    }
  }
  for (size_t cut : {size_t{1}, size_t{8}, sizeof(format::FileHeader) - 1}) {
    ExpectOneErrorLine(ReportOn(valid_->substr(0, cut)), "cut in the header at " +
                                                             std::to_string(cut));
  }
}

TEST_F(HostileInputTest, FlippedBytes) {
  // Every header byte, then bytes spread over the chunks.
  std::vector<size_t> positions;
  for (size_t i = 0; i < sizeof(format::FileHeader) + sizeof(format::ChunkHeader); ++i) {
    positions.push_back(i);
  }
  for (size_t i = positions.size(); i < valid_->size(); i += valid_->size() / 40 + 1) {
    positions.push_back(i);
  }
  for (size_t position : positions) {
    std::string file = *valid_;
    file[position] ^= 0x5a;
    ExpectHandled(ReportOn(file), "flipped byte at " + std::to_string(position));
  }
}

TEST_F(HostileInputTest, AbsurdDeclaredLengths) {
  std::vector<size_t> offsets = ChunkOffsets(*valid_);
  struct Field {
    size_t offset;
    uint32_t value;
  };
  const Field fields[] = {
      {offsetof(format::ChunkHeader, compressed_size), 0xffffffffu},
      {offsetof(format::ChunkHeader, compressed_size), 0x7ffffff0u},
      {offsetof(format::ChunkHeader, compressed_size), 0},
      {offsetof(format::ChunkHeader, raw_size), 0xffffffffu},
      {offsetof(format::ChunkHeader, raw_size), format::kMaxChunkRawSize + 1},
      {offsetof(format::ChunkHeader, raw_size), 0},
  };
  for (size_t chunk : {size_t{0}, offsets.size() - 1}) {
    for (const Field& field : fields) {
      std::string file = *valid_;
      std::memcpy(file.data() + offsets[chunk] + field.offset, &field.value, sizeof(uint32_t));
      ExpectHandled(ReportOn(file), "chunk " + std::to_string(chunk) + " field at " +
                                        std::to_string(field.offset) + " = " +
                                        std::to_string(field.value));
    }
  }
  std::string file = *valid_;
  uint32_t header_size = 0xfffffff0u;
  std::memcpy(file.data() + offsetof(format::FileHeader, header_size), &header_size,
              sizeof(header_size));
  ExpectOneErrorLine(ReportOn(file), "absurd header_size");
}

TEST_F(HostileInputTest, DirectoryAsTrace) {
  ExpectOneErrorLine(ReportPath(*dir_), "a directory");
}

TEST_F(HostileInputTest, FifoAsTraceDoesNotHang) {
  std::string fifo = *dir_ + "/fifo.trace";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ExpectOneErrorLine(ReportPath(fifo), "a FIFO");
}

TEST_F(HostileInputTest, MissingAndUnreadable) {
  ExpectOneErrorLine(ReportPath(*dir_ + "/missing.trace"), "a missing file");
  ExpectOneErrorLine(ReportPath("/dev/zero"), "a device");
}

}  // namespace
}  // namespace heaptrail::testing
