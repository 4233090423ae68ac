// The trace file on disk: created safely, a FileHeader, then framed zstd
// chunks. A write error (bad path, disk full, file size limit) is reported
// once on stderr and turns the file off; the program is never harmed.
//
// Thread-safety: used by whoever holds the writer lock.

#ifndef HEAPTRAIL_PRELOAD_TRACE_FILE_H_
#define HEAPTRAIL_PRELOAD_TRACE_FILE_H_

#include <cstddef>
#include <cstdint>

#include "heaptrail/trace_format.h"

struct ZSTD_CCtx_s;

namespace heaptrail::preload {

// Moves `fd` to the lowest free number >= 1000, where programs that close or
// dup2 over low numbers rarely look; returns the new number (`fd` itself
// when it cannot). Async-signal-safe.
int MoveToHighDescriptor(int fd, bool close_on_exec = true);

class TraceFile {
 public:
  constexpr TraceFile() = default;

  // Creates `path` (mode 0600, never through a symlink, never over an existing
  // file: then "path.1", "path.2"...) and writes `header`. False, with the
  // reason on stderr, when it cannot. Also after Abandon(), for a followed
  // child's own file.
  bool Open(const char* path, const format::FileHeader& header);

  // Compresses `size` bytes of records into one chunk and writes it.
  bool WriteChunk(const uint8_t* records, size_t size);

  // Closes the file without writing anything more (a forked child's copy).
  void Abandon();

  bool ok() const { return fd_ >= 0; }
  const char* path() const { return path_; }

 private:
  // Checks that fd_ is still our file; reopens it by name when the program
  // closed or replaced the descriptor. False (tracking stops) when it cannot.
  bool Reattach();
  // True while fd_ still refers to the file we created.
  bool StillOurs() const;
  // The zstd context and the output buffer, on pages: false without memory.
  bool CreateCompressor();
  bool WriteAll(const void* data, size_t size);
  void Fail(const char* what, int error);

  int fd_ = -1;
  uint64_t device_ = 0;  // identity of the file we created
  uint64_t inode_ = 0;
  uint32_t sequence_ = 0;
  ZSTD_CCtx_s* zstd_ = nullptr;
  uint8_t* compressed_ = nullptr;   // room for any chunk's compressed size
  size_t compressed_capacity_ = 0;
  char path_[4096] = {};
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_TRACE_FILE_H_
