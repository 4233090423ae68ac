// ThreadBuffer's memory comes from the kernel, never from the traced heap.

#include "thread_buffer.h"

#include "private_heap.h"

namespace heaptrail::preload {

bool ThreadBuffer::Init(size_t capacity) {
  data_ = static_cast<uint8_t*>(AllocatePages(capacity));
  capacity_ = capacity;
  wake_mark_ = capacity / 4;
  return data_ != nullptr;
}

}  // namespace heaptrail::preload
