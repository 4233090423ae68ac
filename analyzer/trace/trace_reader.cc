// TraceReader: file framing, bounds and zstd decompression. The decision
// "truncated (warning) or corrupt (error)" is made in one place, Next():
// damage is forgiven only in the chunk that reaches the end of the file.

#include "trace/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "trace/status_macros.h"

namespace heaptrail::analyzer {
namespace {

static_assert(std::endian::native == std::endian::little,
              "fixed-size trace structs are little-endian");

constexpr uint32_t kZstdFrameMagic = 0xFD2FB528;
constexpr uint8_t kZstdChecksumFlag = 1 << 2;  // Frame_Header_Descriptor bit 2
// A header larger than this is not a future extension but garbage.
constexpr uint32_t kMaxHeaderSize = 1 << 16;

std::string ErrnoText(int error) { return std::strerror(error); }

absl::Status NotATraceFile(const std::string& path, std::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrFormat("%s is %s, not a heaptrail trace file", path, what));
}

// Rejects what is not a regular file before anything could block on it.
absl::Status CheckRegularFile(const std::string& path, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return absl::OkStatus();
  if (S_ISDIR(st.st_mode)) return NotATraceFile(path, "a directory");
  if (S_ISFIFO(st.st_mode)) return NotATraceFile(path, "a FIFO");
  if (S_ISSOCK(st.st_mode)) return NotATraceFile(path, "a socket");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    return NotATraceFile(path, "a device");
  }
  return NotATraceFile(path, "not a regular file");
}

// Why a zstd frame is unusable, or null when it is a single frame with a
// content checksum of exactly `size` bytes. (Plain C: it may run under
// MappedFile::Read().)
const char* CheckFrame(const uint8_t* frame, size_t size) {
  uint32_t magic = 0;
  if (size < 5) return "frame too short";
  std::memcpy(&magic, frame, sizeof(magic));
  if (magic != kZstdFrameMagic) return "not a zstd frame";
  if ((frame[4] & kZstdChecksumFlag) == 0) return "zstd frame has no checksum";
  const size_t frame_size = ZSTD_findFrameCompressedSize(frame, size);
  if (ZSTD_isError(frame_size)) return ZSTD_getErrorName(frame_size);
  if (frame_size != size) return "zstd frame size does not match the chunk";
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TraceReader>> TraceReader::Open(
    const std::string& path, Access access) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int error = errno;
    return absl::NotFoundError(
        absl::StrCat("cannot open ", path, ": ", ErrnoText(error)));
  }
  HEAPTRAIL_RETURN_IF_ERROR(CheckRegularFile(path, st));
  // O_NONBLOCK: if the path was swapped for a FIFO since stat(), open()
  // still returns at once and fstat() below rejects it.
  const int fd =
      ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    return absl::NotFoundError(
        absl::StrCat("cannot open ", path, ": ", ErrnoText(error)));
  }
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::InternalError(
        absl::StrCat("cannot stat ", path, ": ", ErrnoText(error)));
  }
  if (absl::Status status = CheckRegularFile(path, st); !status.ok()) {
    ::close(fd);
    return status;
  }
  std::unique_ptr<TraceReader> reader(
      new TraceReader(fd, path, static_cast<uint64_t>(st.st_size), access));
  HEAPTRAIL_RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

TraceReader::TraceReader(int fd, std::string path, uint64_t file_size,
                         Access access)
    : fd_(fd),
      path_(std::move(path)),
      file_size_(file_size),
      map_(fd, access == Access::kMapped ? file_size : 0) {}

TraceReader::~TraceReader() {
  ::close(fd_);
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
}

absl::Status TraceReader::Shrank() const {
  // A fault in the mapping is also what a read error (EIO) of its pages is.
  return absl::DataLossError(absl::StrCat(
      path_, " shrank while it was being read",
      map_.mapped() ? " (or the system could not read it)" : ""));
}

absl::Status TraceReader::ReadExactly(uint64_t offset, void* buffer,
                                      size_t size) {
  if (map_.mapped()) {
    // Callers stay within the file's size at opening, the mapping's.
    const uint8_t* const bytes = map_.bytes().data() + offset;
    if (!map_.Read([&] { std::memcpy(buffer, bytes, size); })) return Shrank();
    return absl::OkStatus();
  }
  auto* out = static_cast<uint8_t*>(buffer);
  while (size > 0) {
    const ssize_t n = ::pread(fd_, out, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      return absl::DataLossError(
          absl::StrCat("cannot read ", path_, ": ", ErrnoText(error)));
    }
    if (n == 0) return Shrank();
    out += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<const uint8_t*> TraceReader::BytesAt(uint64_t offset,
                                                    size_t size) {
  if (map_.mapped()) return map_.bytes().data() + offset;
  if (compressed_.size() < size) compressed_.resize(size);
  HEAPTRAIL_RETURN_IF_ERROR(ReadExactly(offset, compressed_.data(), size));
  return compressed_.data();
}

absl::Status TraceReader::ReadHeader() {
  if (file_size_ == 0) {
    return absl::DataLossError(absl::StrCat(
        path_,
        " is empty (the program was probably killed before the trace "
        "was written)"));
  }
  const size_t available =
      static_cast<size_t>(std::min<uint64_t>(file_size_, sizeof(header_)));
  HEAPTRAIL_RETURN_IF_ERROR(ReadExactly(0, &header_, available));
  if (std::memcmp(header_.magic, format::kFileMagic,
                  std::min(available, sizeof(format::kFileMagic))) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, " is not a heaptrail trace (bad magic)"));
  }
  if (available < sizeof(header_)) {
    return absl::DataLossError(
        absl::StrFormat("%s: truncated file header (%d of %d bytes)", path_,
                        available, sizeof(header_)));
  }
  if (header_.version > format::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: trace format version %d is newer than this heaptrail supports "
        "(%d); use a newer heaptrail",
        path_, header_.version, format::kFormatVersion));
  }
  if (header_.version == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": invalid trace format version 0"));
  }
  if (header_.header_size < sizeof(header_) ||
      header_.header_size > kMaxHeaderSize) {
    return absl::DataLossError(absl::StrFormat("%s: invalid header size %d",
                                               path_, header_.header_size));
  }
  if (header_.header_size > file_size_) {
    return absl::DataLossError(absl::StrCat(path_, ": truncated file header"));
  }
  if (header_.clock_kind >
      static_cast<uint32_t>(format::ClockKind::kMonotonicNs)) {
    return absl::DataLossError(absl::StrFormat("%s: unknown clock kind %d",
                                               path_, header_.clock_kind));
  }
  offset_ = header_.header_size;
  return absl::OkStatus();
}

bool TraceReader::RestIsZero(uint64_t offset) {
  uint8_t buffer[4096];
  while (offset < file_size_) {
    const size_t n = static_cast<size_t>(
        std::min<uint64_t>(sizeof(buffer), file_size_ - offset));
    if (!ReadExactly(offset, buffer, n).ok()) return false;
    if (std::any_of(buffer, buffer + n, [](uint8_t b) { return b != 0; })) {
      return false;
    }
    offset += n;
  }
  return true;
}

bool TraceReader::StopTruncated(const std::string& why) {
  done_ = true;
  truncated_ = true;
  if (next_sequence_ == 0) {
    warning_ = absl::StrCat(
        "trace truncated before its first chunk (the program was probably "
        "killed): ",
        why);
  } else {
    warning_ = absl::StrCat("trace truncated after chunk ", next_sequence_ - 1,
                            " (the program was probably killed): ", why);
  }
  return false;
}

absl::StatusOr<bool> TraceReader::Next() {
  if (done_) return false;
  raw_size_ = 0;
  const uint64_t remaining = file_size_ - offset_;
  if (remaining == 0) {
    done_ = true;
    return false;
  }
  if (remaining < sizeof(format::ChunkHeader)) {
    return StopTruncated(
        absl::StrFormat("incomplete chunk header (%d of %d bytes)", remaining,
                        sizeof(format::ChunkHeader)));
  }
  format::ChunkHeader chunk;
  HEAPTRAIL_RETURN_IF_ERROR(ReadExactly(offset_, &chunk, sizeof(chunk)));
  const std::string where = absl::StrFormat("%s: chunk %d at offset %d", path_,
                                            next_sequence_, offset_);
  if (chunk.magic != format::kChunkMagic) {
    if (RestIsZero(offset_)) {
      return StopTruncated("the rest of the file is zero bytes");
    }
    return absl::DataLossError(
        absl::StrCat(where, ": bad chunk magic (the file is corrupt)"));
  }
  if (chunk.raw_size > format::kMaxChunkRawSize) {
    return absl::DataLossError(absl::StrFormat(
        "%s: raw size %d exceeds the limit %d (the file is corrupt)", where,
        chunk.raw_size, format::kMaxChunkRawSize));
  }
  if (chunk.compressed_size == 0 ||
      chunk.compressed_size > ZSTD_compressBound(format::kMaxChunkRawSize)) {
    return absl::DataLossError(
        absl::StrFormat("%s: invalid compressed size %d (the file is corrupt)",
                        where, chunk.compressed_size));
  }
  if (chunk.sequence != next_sequence_) {
    return absl::DataLossError(absl::StrFormat(
        "%s: sequence number %d, expected %d (a chunk is missing or the file "
        "is corrupt)",
        where, chunk.sequence, next_sequence_));
  }
  const uint64_t frame_offset = offset_ + sizeof(chunk);
  const uint64_t end = frame_offset + chunk.compressed_size;
  if (end > file_size_) {
    return StopTruncated(
        absl::StrFormat("last chunk is incomplete (%d of %d bytes)",
                        file_size_ - frame_offset, chunk.compressed_size));
  }
  const bool is_last = end == file_size_;

  HEAPTRAIL_ASSIGN_OR_RETURN(const uint8_t* const frame,
                             BytesAt(frame_offset, chunk.compressed_size));
  if (dctx_ == nullptr) dctx_ = ZSTD_createDCtx();
  if (dctx_ == nullptr) return absl::ResourceExhaustedError("out of memory");
  // One spare byte: a frame that decompresses to more than raw_size is
  // caught as a size mismatch instead of a generic "buffer too small".
  if (raw_.size() < size_t{chunk.raw_size} + 1) {
    // Room for any chunk at once: growing by a few bytes would otherwise
    // copy the buffer into fresh pages, and the pages reserved beyond the
    // chunks' size are never touched.
    raw_.reserve(format::kMaxChunkRawSize + 1);
    raw_.resize(chunk.raw_size + 1);
  }
  const char* frame_damage = nullptr;
  size_t n = 0;
  if (!map_.Read([&] {
        frame_damage = CheckFrame(frame, chunk.compressed_size);
        if (frame_damage != nullptr) return;
        n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), raw_.data(),
                                chunk.raw_size + 1, frame,
                                chunk.compressed_size);
      })) {
    // Cut short: the context may be left anywhere.
    ZSTD_DCtx_reset(static_cast<ZSTD_DCtx*>(dctx_),
                    ZSTD_reset_session_and_parameters);
    return Shrank();
  }
  std::string damage;
  if (frame_damage != nullptr) {
    damage = frame_damage;
  } else if (ZSTD_isError(n)) {
    damage = ZSTD_getErrorName(n);
  } else if (n != chunk.raw_size) {
    damage = absl::StrFormat("decompressed to %d bytes, header says %d", n,
                             chunk.raw_size);
  }
  if (!damage.empty()) {
    if (is_last)
      return StopTruncated(absl::StrCat("last chunk is damaged: ", damage));
    return absl::DataLossError(absl::StrCat(where, " is corrupt: ", damage));
  }
  raw_size_ = chunk.raw_size;
  offset_ = end;
  map_.ReleaseBefore(offset_);
  ++next_sequence_;
  return true;
}

}  // namespace heaptrail::analyzer
