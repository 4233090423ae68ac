// Codes a thread's event addresses by reference to its recent ones, as
// kThreadEventColumns stores them (trace_format.h): a release names the
// allocation it ends by how many allocations ago it was made, and an
// allocation often reuses what the thread just released. Where an address is
// in neither window it is written as a delta from the previous event's, as
// rows have it (fresh blocks carved one after the other share a stride).
//
// Two rings hold the thread's last kAllocationWindow allocated and
// kReleaseWindow released addresses, as the analyzer's decoder keeps them;
// two 2-way indexes find an address's most recent position in them.
// An index entry may be stale or overwritten by a colliding address: the
// ring is checked before a reference is written, so a miss costs bytes,
// never exactness.
//
// The 192 KB of tables are allocated on the thread's first drained events,
// on pages of their own, and kept with the thread state for its next owner.
// Trivially destructible, like everything the writer uses after the
// library's destructor.
//
// Thread-safety: used by whoever holds the writer lock.

#ifndef HEAPTRAIL_PRELOAD_ADDRESS_CODER_H_
#define HEAPTRAIL_PRELOAD_ADDRESS_CODER_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "heaptrail/trace_format.h"

namespace heaptrail::preload {

class AddressCoder {
 public:
  constexpr AddressCoder() = default;
  AddressCoder(const AddressCoder&) = delete;
  AddressCoder& operator=(const AddressCoder&) = delete;

  // Allocates the tables if needed; false when out of memory.
  bool Ready();
  // Forgets every address: the thread's events start anew (a new thread, or
  // the child of a fork).
  void Reset() { allocations_ = releases_ = 0; }

  // Writes the address fields of `count` events, whose tag bytes are
  // `tags` and addresses `addresses`, at `out`, after an event at address
  // `previous`; returns the end. At most 11 bytes each. Ready() must have
  // returned true.
  uint8_t* PutAddresses(uint8_t* out, const uint8_t* tags, const uint64_t* addresses,
                        size_t count, uint64_t previous);

 private:
  // One event's: an allocation's; a release's (`counts` when it is a kFree
  // or kFreeWithStack, not a kReallocFailed).
  uint8_t* PutAllocation(uint8_t* out, uint64_t address, uint64_t previous);
  uint8_t* PutRelease(uint8_t* out, uint64_t address, uint64_t previous, bool counts);
  // Starts loading the index slots of `address`.
  void Prefetch(uint64_t address) const;

  static constexpr uint32_t kAllocationIndexSize = 2 * format::kAllocationWindow;
  static constexpr uint32_t kReleaseIndexSize = 2 * format::kReleaseWindow;
  static_assert(kAllocationIndexSize == kReleaseIndexSize, "Prefetch() hashes once");
  struct Tables {
    uint64_t allocated[format::kAllocationWindow];  // by serial % window
    uint64_t released[format::kReleaseWindow];
    uint64_t allocation_index[kAllocationIndexSize];  // hash -> tag, serial
    uint64_t release_index[kReleaseIndexSize];
  };

  Tables* tables_ = nullptr;
  uint32_t allocations_ = 0;  // serials; they wrap, and so do the distances
  uint32_t releases_ = 0;
};

static_assert(std::is_trivially_destructible_v<AddressCoder>);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_ADDRESS_CODER_H_
