// ThreadBuffer's memory comes from the kernel, never from the traced heap.

#include "thread_buffer.h"

#include "private_heap.h"

namespace heaptrail::preload {

bool ThreadBuffer::Init() {
  data_ = static_cast<uint8_t*>(AllocatePages(kCapacity));
  return data_ != nullptr;
}

}  // namespace heaptrail::preload
