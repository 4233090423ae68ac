// Codes a thread's event addresses by reference to its recent ones, as
// kThreadEventColumns stores them (trace_format.h): a release names the
// allocation it ends by how many allocations ago it was made, and an
// allocation often reuses what the thread just released. Where an address is
// in neither window it is written as a delta from the previous event's, as
// rows have it (fresh blocks carved one after the other share a stride).
//
// Two rings hold the thread's last kAddressWindow allocated and released
// addresses, as the analyzer's decoder keeps them; beside each, a 2-way
// index finds an address's most recent position in it. An index entry may be
// stale or overwritten by a colliding address: the ring is checked before a
// reference is written, so a miss costs bytes, never exactness. The coding
// has no branch on the data but hit or miss: mixed traffic (allocations and
// releases in random order, references of one or two bytes) made a
// branching version the writer's largest cost, by mispredictions.
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
  void Reset() { counts_[0] = counts_[1] = 0; }

  // Writes the address fields of `count` events, whose tag bytes are
  // `tags` and addresses `addresses`, at `out`, after an event at address
  // `previous`; returns the end. At most 11 bytes each. Ready() must have
  // returned true.
  uint8_t* PutAddresses(uint8_t* out, const uint8_t* tags, const uint64_t* addresses,
                        size_t count, uint64_t previous);

 private:
  static constexpr uint32_t kIndexSize = 2 * format::kAddressWindow;
  // The addresses of one kind of event, allocations or releases: by serial
  // % window, and an index of entries (tag << 32 | serial) by hash.
  struct Side {
    uint64_t ring[format::kAddressWindow];
    uint64_t index[kIndexSize];
  };
  static constexpr int kAllocations = 0;
  static constexpr int kReleases = 1;

  Side* sides_ = nullptr;     // [kAllocations], [kReleases]
  uint32_t counts_[2] = {};  // serials; they wrap, and so do the distances
};

static_assert(std::is_trivially_destructible_v<AddressCoder>);

}  // namespace heaptrail::preload

#endif  // HEAPTRAIL_PRELOAD_ADDRESS_CODER_H_
