// ChunkBuilder: a byte vector on pages of its own.

#include "chunk_builder.h"

#include <cstring>

#include "private_heap.h"

namespace heaptrail::preload {

uint8_t* ChunkBuilder::Reserve(size_t size) {
  if (size_ + size > capacity_) {
    size_t capacity = capacity_ == 0 ? 64 * 1024 : capacity_;
    while (capacity < size_ + size) capacity *= 2;
    auto* data = static_cast<uint8_t*>(AllocatePages(capacity));
    if (data == nullptr) return nullptr;
    if (size_ != 0) std::memcpy(data, data_, size_);
    FreePages(data_, capacity_);
    data_ = data;
    capacity_ = capacity;
  }
  return data_ + size_;
}

void ChunkBuilder::Append(const void* bytes, size_t size) {
  uint8_t* out = Reserve(size);
  if (out == nullptr) return;
  std::memcpy(out, bytes, size);
  size_ += size;
}

void ChunkBuilder::PutRecordType(format::RecordType type) {
  auto byte = static_cast<uint8_t>(type);
  Append(&byte, 1);
}

void ChunkBuilder::PutVarint(uint64_t value) {
  uint8_t* out = Reserve(kMaxVarintSize);
  if (out != nullptr) Commit(preload::PutVarint(out, value));
}

void ChunkBuilder::PutString(std::string_view text) {
  uint8_t* out = Reserve(kMaxVarintSize + format::kMaxStringSize);
  if (out != nullptr) Commit(preload::PutString(out, text, format::kMaxStringSize));
}

}  // namespace heaptrail::preload
