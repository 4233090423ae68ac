// The writer's growable buffer of top-level records for the chunk being
// built, on pages of its own.
//
// Trivially destructible on purpose: the writer still runs after the
// library's destructor (late frees at exit), so nothing it uses may be torn
// down by a static destructor.
//
// Thread-safety: used by whoever holds the writer lock.

#ifndef HEAPTRAIL_PRELOAD_CHUNK_BUILDER_H_
#define HEAPTRAIL_PRELOAD_CHUNK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "byte_writer.h"
#include "heaptrail/trace_format.h"

namespace heaptrail::preload {

class ChunkBuilder {
 public:
  constexpr ChunkBuilder() = default;
  ChunkBuilder(const ChunkBuilder&) = delete;
  ChunkBuilder& operator=(const ChunkBuilder&) = delete;

  // Makes room for `size` more bytes and returns where they go; commit them
  // with Commit(end). Null when out of memory.
  uint8_t* Reserve(size_t size);
  void Commit(uint8_t* end) { size_ = end - data_; }

  void Append(const void* bytes, size_t size);

  // Convenience for small records: type byte + varints, reserved at once.
  void PutRecordType(format::RecordType type);
  void PutVarint(uint64_t value);
  void PutString(std::string_view text);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }
  // Drops what was appended past `size`.
  void Truncate(size_t size) { size_ = size < size_ ? size : size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

static_assert(std::is_trivially_destructible_v<ChunkBuilder>);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_CHUNK_BUILDER_H_
