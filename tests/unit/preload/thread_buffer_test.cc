// ThreadBuffer: what one thread appends, another drains byte for byte, with
// the ring wrapping many times and the producer waiting when it is full,
// through both the exact and the fixed-size copy.

#include "thread_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <thread>
#include <vector>

namespace heaptrail::preload {
namespace {

// Records of 1..41 bytes whose content is a function of their position.
std::vector<uint8_t> MakeRecord(uint64_t index) {
  std::vector<uint8_t> record(1 + index % 41);
  for (size_t i = 0; i < record.size(); ++i) record[i] = static_cast<uint8_t>(index * 131 + i);
  return record;
}

TEST(ThreadBufferTest, DrainsExactlyWhatWasAppended) {
  ThreadBuffer buffer;
  ASSERT_TRUE(buffer.Init());
  std::vector<uint8_t> expected;
  for (uint64_t i = 0; i < 100; ++i) {
    auto record = MakeRecord(i);
    ASSERT_TRUE(buffer.HasRoom(record.size()));
    buffer.Append(record.data(), record.size());
    expected.insert(expected.end(), record.begin(), record.end());
  }
  std::vector<uint8_t> drained;
  buffer.Drain([&](const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size) {
    drained.insert(drained.end(), a, a + a_size);
    drained.insert(drained.end(), b, b + b_size);
  });
  EXPECT_EQ(drained, expected);
  EXPECT_TRUE(buffer.Empty());
}

// A producer thread appends `records` records while this thread drains;
// every byte must come out once, in order.
void ProduceAndConsume(size_t capacity, uint64_t records) {
  ThreadBuffer buffer;
  ASSERT_TRUE(buffer.Init(capacity));
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (uint64_t i = 0; i < records; ++i) {
      auto record = MakeRecord(i);
      while (!buffer.HasRoom(record.size())) std::this_thread::yield();
      if (i % 2 == 0) {
        buffer.Append(record.data(), record.size());
      } else {
        // Readable past its end, as the recorder's events are: the small
        // records take the fixed-size copy, which must never spill into
        // bytes the consumer has yet to read.
        uint8_t padded[48];
        std::fill(std::begin(padded), std::end(padded), uint8_t{0xEE});
        std::copy(record.begin(), record.end(), padded);
        buffer.Append(padded, record.size(), sizeof(padded));
      }
    }
    done.store(true);
  });
  std::vector<uint8_t> drained;
  auto sink = [&](const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size) {
    drained.insert(drained.end(), a, a + a_size);
    drained.insert(drained.end(), b, b + b_size);
  };
  while (!done.load()) buffer.Drain(sink);
  buffer.Drain(sink);
  producer.join();

  size_t offset = 0;
  for (uint64_t i = 0; i < records; ++i) {
    auto record = MakeRecord(i);
    ASSERT_LE(offset + record.size(), drained.size());
    ASSERT_TRUE(std::equal(record.begin(), record.end(), drained.begin() + offset)) << i;
    offset += record.size();
  }
  EXPECT_EQ(offset, drained.size());
}

TEST(ThreadBufferTest, ConcurrentProducerAndConsumer) {
  ProduceAndConsume(ThreadBuffer::kDefaultCapacity, 400000);  // ~8 MiB: wraps ~30 times
}

// The smallest ring (HEAPTRAIL_BUFFER_SIZE=64): full after every record or
// two, wrapping inside most of them.
TEST(ThreadBufferTest, SmallestRingUnderConcurrency) { ProduceAndConsume(64, 2000); }

}  // namespace
}  // namespace heaptrail::preload
