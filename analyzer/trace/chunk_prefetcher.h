// Reads, checks and decompresses a trace's chunks on a worker thread, a few
// chunks ahead of the thread that decodes them, so that zstd and the disk
// overlap with decoding and replay. Chunks come out in file order, exactly
// as TraceReader yields them; at most kDepth decompressed chunks wait in
// the queue (each at most kMaxChunkRawSize), so memory stays bounded.
// Without `ahead`, no thread is started and chunks are read on demand: the
// same chunks, for comparison and for single-core machines.
//
// Thread-safety: one consumer thread calls Next() and the accessors; the
// worker thread is internal.

#ifndef HEAPTRAIL_ANALYZER_TRACE_CHUNK_PREFETCHER_H_
#define HEAPTRAIL_ANALYZER_TRACE_CHUNK_PREFETCHER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "trace/trace_reader.h"

namespace heaptrail::analyzer {

class ChunkPrefetcher {
 public:
  static constexpr size_t kDepth = 2;

  // Starts reading `reader` ahead (when `ahead`).
  ChunkPrefetcher(std::unique_ptr<TraceReader> reader, bool ahead);
  // Stops the worker, even in the middle of the file.
  ~ChunkPrefetcher();
  ChunkPrefetcher(const ChunkPrefetcher&) = delete;
  ChunkPrefetcher& operator=(const ChunkPrefetcher&) = delete;

  // As TraceReader::Next(): true with chunk() set, false at the end, or the
  // reader's error.
  absl::StatusOr<bool> Next();
  std::span<const uint8_t> chunk() const { return chunk_; }
  uint32_t chunk_sequence() const { return current_.sequence; }
  uint64_t offset() const { return current_.offset; }
  uint64_t file_size() const { return file_size_; }

  // The reader, for truncated(), warning() and chunks_read(): only once
  // Next() returned false or an error (the worker is done with it then).
  const TraceReader& reader() const { return *reader_; }

 private:
  struct Chunk {
    std::vector<uint8_t> bytes;  // the chunk, then spare capacity
    size_t size = 0;
    uint32_t sequence = 0;
    uint64_t offset = 0;
  };

  void Work();

  std::unique_ptr<TraceReader> reader_;
  const uint64_t file_size_;
  Chunk current_;  // bytes empty without a worker: chunk_ is the reader's
  std::span<const uint8_t> chunk_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> ready_;               // guarded by mutex_
  std::vector<std::vector<uint8_t>> spare_;  // buffers to reuse; mutex_
  bool finished_ = false;                 // the worker read its last chunk
  absl::Status status_;                   // why it finished, when not ok
  bool stop_ = false;                     // asked by the destructor
  std::thread worker_;  // last: starts after the rest; none without `ahead`
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_CHUNK_PREFETCHER_H_
