// A single-producer, single-consumer byte ring: the owner thread appends
// encoded events, the writer drains them. Records are appended whole, so a
// drain always sees complete records.
//
// Thread-safety: Append() only from the owner thread; Drain() only from the
// writer (whoever holds the writer lock). No locks, no allocation.

#ifndef HEAPTRAIL_PRELOAD_THREAD_BUFFER_H_
#define HEAPTRAIL_PRELOAD_THREAD_BUFFER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace heaptrail::preload {

class ThreadBuffer {
 public:
  static constexpr size_t kDefaultCapacity = 512 * 1024;

  // Maps the ring's memory. `capacity` is a power of two of at least 64
  // bytes, which hold the largest event (HEAPTRAIL_BUFFER_SIZE makes rings
  // that small in tests: the writer then falls behind all the time). False
  // when out of memory.
  bool Init(size_t capacity = kDefaultCapacity);

  // Free bytes as last seen by the producer; refreshes from the consumer when
  // `needed` does not fit.
  bool HasRoom(size_t needed) {
    if (head_ + needed - tail_seen_ <= capacity_) return true;
    // Matched by the release store of tail_ in Drain().
    tail_seen_ = tail_.load(std::memory_order_acquire);
    return head_ + needed - tail_seen_ <= capacity_;
  }

  // Appends `size` bytes; the caller checked HasRoom(size). A small record
  // is copied as a fixed kSmallCopy bytes (a few moves, no memcpy call) when
  // `bytes` can be read that far (`readable`, 0 for just `size`) and the ring
  // has that much free space in one piece: the bytes past `size` land in free
  // space and are overwritten by the next record.
  static constexpr size_t kSmallCopy = 16;
  void Append(const uint8_t* bytes, size_t size, size_t readable = 0) {
    size_t offset = head_ & (capacity_ - 1);
    size_t first = capacity_ - offset;
    if (size <= kSmallCopy && readable >= kSmallCopy && first >= kSmallCopy &&
        head_ + kSmallCopy - tail_seen_ <= capacity_) {
      std::memcpy(data_ + offset, bytes, kSmallCopy);
    } else if (first >= size) {
      std::memcpy(data_ + offset, bytes, size);
    } else {
      std::memcpy(data_ + offset, bytes, first);
      std::memcpy(data_, bytes + first, size - first);
    }
    head_ += size;
    // Matched by the acquire load in Drain().
    published_.store(head_, std::memory_order_release);
  }

  // True once per quarter of the ring appended: time to wake the writer.
  bool CrossedWakeMark() {
    if (head_ < wake_mark_) return false;
    wake_mark_ = head_ + capacity_ / 4;
    return true;
  }

  // Hands every published byte to `sink(first, first_size, second,
  // second_size)` (the ring may wrap) and frees the space.
  template <typename Sink>
  void Drain(Sink&& sink) {
    uint64_t head = published_.load(std::memory_order_acquire);
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    size_t size = head - tail;
    if (size == 0) return;
    size_t offset = tail & (capacity_ - 1);
    size_t first = capacity_ - offset;
    if (first >= size) {
      sink(data_ + offset, size, nullptr, 0);
    } else {
      sink(data_ + offset, first, data_, size - first);
    }
    // Matched by the acquire load in HasRoom().
    tail_.store(head, std::memory_order_release);
  }

  // Forgets everything (a forked child: the parent writes these events).
  // Only when no other thread can use the ring.
  void Reset() {
    head_ = 0;
    tail_seen_ = 0;
    wake_mark_ = capacity_ / 4;
    published_.store(0, std::memory_order_relaxed);
    tail_.store(0, std::memory_order_relaxed);
  }

  bool Empty() const {
    return published_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }

 private:
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  // Producer side.
  uint64_t head_ = 0;
  uint64_t tail_seen_ = 0;
  uint64_t wake_mark_ = 0;
  alignas(64) std::atomic<uint64_t> published_{0};
  // Consumer side.
  alignas(64) std::atomic<uint64_t> tail_{0};
};

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_THREAD_BUFFER_H_
