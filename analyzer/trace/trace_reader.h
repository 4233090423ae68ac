// Streams a trace file: validates the FileHeader, then yields each chunk's
// decompressed bytes in order, one chunk in memory at a time.
//
// The file is untrusted. Open() refuses anything but a regular file (a FIFO
// or a device is never opened in blocking mode, so it cannot hang), checks
// the magic, the version (a newer one is a clear error) and header_size.
// Next() checks each ChunkHeader (magic, raw_size <= kMaxChunkRawSize,
// compressed_size within the zstd bound and the file, consecutive sequence
// numbers), requires a zstd frame with a content checksum and decompresses
// it, which verifies the checksum. A short or damaged chunk at the very end
// of the file is what a killed program leaves behind: reading stops there
// with warning() set and truncated() true. The same damage anywhere else is
// an error.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_TRACE_TRACE_READER_H_
#define HEAPTRAIL_ANALYZER_TRACE_TRACE_READER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "heaptrail/trace_format.h"
#include "trace/mapped_file.h"

namespace heaptrail::analyzer {

class TraceReader {
 public:
  // How the file is read: mapped (the default; pread() where the file
  // cannot be mapped), or always with pread().
  enum class Access { kMapped, kRead };

  // Opens and validates the header of the trace at `path`.
  static absl::StatusOr<std::unique_ptr<TraceReader>> Open(
      const std::string& path, Access access = Access::kMapped);

  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  const format::FileHeader& header() const { return header_; }

  // Reads the next chunk. Returns true with chunk() set, false at the end of
  // the trace (clean, or truncated: see truncated()), or an error.
  absl::StatusOr<bool> Next();

  // The decompressed bytes of the current chunk, valid until Next().
  std::span<const uint8_t> chunk() const { return {raw_.data(), raw_size_}; }
  // Hands over the buffer that holds chunk() (its first chunk().size()
  // bytes) without copying it, and decompresses the next chunks into
  // `next` instead: a buffer that a reader on another thread is done with.
  std::vector<uint8_t> TakeChunkBuffer(std::vector<uint8_t> next) {
    std::swap(raw_, next);
    return next;
  }
  // Sequence number of the current chunk.
  uint32_t chunk_sequence() const { return next_sequence_ - 1; }
  // Chunks read successfully so far.
  uint32_t chunks_read() const { return next_sequence_; }

  // True when reading stopped at a short or damaged last chunk.
  bool truncated() const { return truncated_; }
  // Why reading stopped early; empty when it did not.
  const std::string& warning() const { return warning_; }

  // For a progress indicator.
  uint64_t file_size() const { return file_size_; }
  uint64_t offset() const { return offset_; }

 private:
  TraceReader(int fd, std::string path, uint64_t file_size, Access access);

  absl::Status ReadHeader();
  absl::Status ReadExactly(uint64_t offset, void* buffer, size_t size);
  // The `size` bytes at `offset`: in the mapping, or read into compressed_.
  absl::StatusOr<const uint8_t*> BytesAt(uint64_t offset, size_t size);
  absl::Status Shrank() const;
  // Ends reading at a damaged last chunk: sets the warning, returns false.
  bool StopTruncated(const std::string& why);
  // True when the file holds only zero bytes from `offset` on, as a file
  // that was extended but never written (a crash on some file systems) does.
  bool RestIsZero(uint64_t offset);

  int fd_;
  std::string path_;
  uint64_t file_size_;
  // Frames are decompressed straight from the page cache, not copied first
  // (bench/mixed's report: 0.97 of the wall time, 0.96 of the CPU time);
  // pread() is the fallback where the file cannot be mapped.
  MappedFile map_;
  uint64_t offset_ = 0;
  format::FileHeader header_{};
  uint32_t next_sequence_ = 0;
  bool done_ = false;
  bool truncated_ = false;
  std::string warning_;
  std::vector<uint8_t> compressed_;
  std::vector<uint8_t> raw_;
  size_t raw_size_ = 0;
  void* dctx_ = nullptr;  // ZSTD_DCtx, reused across chunks
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_TRACE_READER_H_
