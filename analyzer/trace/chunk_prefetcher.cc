// ChunkPrefetcher: one worker, a bounded queue, and buffers handed back and
// forth so that steady state allocates nothing. Notifications are sent with
// the lock held, which keeps race detectors (helgrind) quiet.

#include "trace/chunk_prefetcher.h"

#include <utility>

namespace heaptrail::analyzer {

ChunkPrefetcher::ChunkPrefetcher(std::unique_ptr<TraceReader> reader,
                                 bool ahead)
    : reader_(std::move(reader)), file_size_(reader_->file_size()) {
  if (ahead) worker_ = std::thread([this] { Work(); });
}

ChunkPrefetcher::~ChunkPrefetcher() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    changed_.notify_all();
  }
  worker_.join();
}

void ChunkPrefetcher::Work() {
  while (true) {
    std::vector<uint8_t> buffer;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stop_ || ready_.size() < kDepth; });
      if (stop_) return;
      if (!spare_.empty()) {
        buffer = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    // The reader is this thread's alone until finished_ is set.
    absl::StatusOr<bool> more = reader_->Next();
    Chunk chunk;
    if (more.ok() && *more) {
      const size_t size = reader_->chunk().size();
      chunk = Chunk{reader_->TakeChunkBuffer(std::move(buffer)), size,
                    reader_->chunk_sequence(), reader_->offset()};
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!more.ok() || !*more) {
        finished_ = true;
        status_ = more.status();
      } else {
        ready_.push_back(std::move(chunk));
      }
      changed_.notify_all();
    }
    if (!more.ok() || !*more) return;
  }
}

absl::StatusOr<bool> ChunkPrefetcher::Next() {
  if (!worker_.joinable()) {
    absl::StatusOr<bool> more = reader_->Next();
    if (more.ok() && *more) {
      chunk_ = reader_->chunk();
      current_.sequence = reader_->chunk_sequence();
      current_.offset = reader_->offset();
    }
    return more;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (current_.bytes.capacity() != 0) {
    spare_.push_back(std::move(current_.bytes));
    current_.bytes = {};
  }
  changed_.wait(lock, [this] { return !ready_.empty() || finished_; });
  if (ready_.empty()) {
    if (!status_.ok()) return status_;
    return false;
  }
  current_ = std::move(ready_.front());
  ready_.pop_front();
  chunk_ = std::span<const uint8_t>(current_.bytes).first(current_.size);
  changed_.notify_all();
  return true;
}

}  // namespace heaptrail::analyzer
