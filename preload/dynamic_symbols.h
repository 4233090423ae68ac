// Lookup of a symbol in the dynamic symbol tables of the loaded modules,
// without dlsym: a dlsym that fails allocates its error message, which the
// program frees later as a block the tracker never saw.
//
// Thread-safety: takes the loader's lock (dl_iterate_phdr); call outside
// the hooks' hot path (at start-up).

#ifndef HEAPTRAIL_PRELOAD_DYNAMIC_SYMBOLS_H_
#define HEAPTRAIL_PRELOAD_DYNAMIC_SYMBOLS_H_

#include <cstdint>

namespace heaptrail::preload {

struct DynamicSymbol {
  uintptr_t address = 0;  // 0: no loaded module defines it
  uint64_t size = 0;
};

// The first definition of `name` in load order (the executable first), as
// the loader would bind it; modules without a GNU hash table are not
// searched.
DynamicSymbol FindDynamicSymbol(const char* name);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_DYNAMIC_SYMBOLS_H_
