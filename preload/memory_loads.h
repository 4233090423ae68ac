// Plain loads from addresses the recorder reads in the program's memory
// (stack slots, the interpreter's structures), named by their width.

#ifndef HEAPTRAIL_PRELOAD_MEMORY_LOADS_H_
#define HEAPTRAIL_PRELOAD_MEMORY_LOADS_H_

#include <cstdint>
#include <cstring>

namespace heaptrail::preload {

inline uint64_t Load64(uintptr_t address) {
  uint64_t value;
  std::memcpy(&value, reinterpret_cast<const void*>(address), sizeof(value));
  return value;
}

inline uint32_t Load32(uintptr_t address) {
  uint32_t value;
  std::memcpy(&value, reinterpret_cast<const void*>(address), sizeof(value));
  return value;
}

inline uint8_t Load8(uintptr_t address) { return *reinterpret_cast<const uint8_t*>(address); }

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_MEMORY_LOADS_H_
