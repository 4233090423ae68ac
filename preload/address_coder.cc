// AddressCoder: ring lookups through direct-mapped indexes.

#include "address_coder.h"

#include <cstring>

#include "byte_writer.h"
#include "private_heap.h"

namespace heaptrail::preload {
namespace {

// An index entry: the serial at which the ring holds an address, and 32
// bits of the address's hash, so that a lookup loads the ring only when the
// hash matches. Blocks are 16-byte aligned: the multiply spreads the bits
// above those; the low bits of the product pick the pair of slots, the high
// ones are the tag.
struct Hashed {
  uint64_t product;
  uint32_t tag() const { return static_cast<uint32_t>(product >> 32); }
  template <uint32_t kSize>
  uint32_t pair() const {
    static_assert((kSize & (kSize - 1)) == 0);
    return static_cast<uint32_t>(product >> 12) & (kSize - 2);
  }
};

inline Hashed Hash(uint64_t address) { return {address * 0x9e3779b97f4a7c15u}; }

inline uint64_t Entry(uint32_t serial, uint32_t tag) { return uint64_t{tag} << 32 | serial; }

// The reference to `address` if `ring` holds it at the serial of `entry`:
// the distance from `count`, 1 for the most recent, within the window and
// within what was written since Reset(); 0 otherwise.
template <uint32_t kWindow>
inline uint32_t Distance(const uint64_t (&ring)[kWindow], uint32_t count, uint64_t entry,
                         uint32_t tag, uint64_t address) {
  uint32_t serial = static_cast<uint32_t>(entry);
  uint32_t distance = count - serial;
  if (static_cast<uint32_t>(entry >> 32) != tag || distance == 0 || distance > kWindow ||
      distance > count) {
    return 0;
  }
  return ring[serial % kWindow] == address ? distance : 0;
}

// The reference that one of the two slots of `address`'s pair gives, or 0.
template <uint32_t kWindow, uint32_t kSize>
inline uint32_t Find(const uint64_t (&ring)[kWindow], const uint64_t (&index)[kSize],
                     uint32_t count, uint64_t address) {
  const Hashed hashed = Hash(address);
  const uint32_t pair = hashed.pair<kSize>();
  uint32_t distance = Distance(ring, count, index[pair], hashed.tag(), address);
  return distance != 0 ? distance
                       : Distance(ring, count, index[pair + 1], hashed.tag(), address);
}

// Records that `ring` holds `address` at `serial`, in the slot of its pair
// that has its tag already, or else the older one.
template <uint32_t kWindow, uint32_t kSize>
inline void Insert(uint64_t (&ring)[kWindow], uint64_t (&index)[kSize], uint32_t serial,
                   uint64_t address) {
  const Hashed hashed = Hash(address);
  const uint32_t pair = hashed.pair<kSize>();
  uint64_t* slots = &index[pair];
  uint32_t slot;
  if (static_cast<uint32_t>(slots[0] >> 32) == hashed.tag()) {
    slot = 0;
  } else if (static_cast<uint32_t>(slots[1] >> 32) == hashed.tag()) {
    slot = 1;
  } else {
    slot = serial - static_cast<uint32_t>(slots[1]) > serial - static_cast<uint32_t>(slots[0]);
  }
  slots[slot] = Entry(serial, hashed.tag());
  ring[serial % kWindow] = address;
}

uint8_t* PutReference(uint8_t* out, uint32_t distance, uint64_t address, uint64_t previous) {
  if (distance != 0) return PutVarint(out, distance);
  *out++ = 0;
  return PutSvarint(out, static_cast<int64_t>(address - previous));
}

}  // namespace

bool AddressCoder::Ready() {
  if (tables_ == nullptr) tables_ = static_cast<Tables*>(AllocatePages(sizeof(Tables)));
  return tables_ != nullptr;
}

uint8_t* AddressCoder::PutAddresses(uint8_t* out, const uint8_t* tags,
                                    const uint64_t* addresses, size_t count,
                                    uint64_t previous) {
  // The index loads miss the cache more often than not (many threads'
  // tables, the program's own traffic): start them some events ahead.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < count && i < kAhead; ++i) Prefetch(addresses[i]);
  for (size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) Prefetch(addresses[i + kAhead]);
    const format::EventTag tag = format::EventTagOf(tags[i]);
    out = tag == format::EventTag::kAlloc
              ? PutAllocation(out, addresses[i], previous)
              : PutRelease(out, addresses[i], previous, tag != format::EventTag::kReallocFailed);
    previous = addresses[i];
  }
  return out;
}

void AddressCoder::Prefetch(uint64_t address) const {
  const uint32_t pair = Hash(address).pair<kAllocationIndexSize>();
  __builtin_prefetch(&tables_->allocation_index[pair]);
  __builtin_prefetch(&tables_->release_index[pair]);
}

inline uint8_t* AddressCoder::PutAllocation(uint8_t* out, uint64_t address,
                                            uint64_t previous) {
  out = PutReference(out, Find(tables_->released, tables_->release_index, releases_, address),
                     address, previous);
  Insert(tables_->allocated, tables_->allocation_index, allocations_++, address);
  return out;
}

inline uint8_t* AddressCoder::PutRelease(uint8_t* out, uint64_t address, uint64_t previous,
                                         bool counts) {
  out = PutReference(
      out, Find(tables_->allocated, tables_->allocation_index, allocations_, address), address,
      previous);
  if (counts) Insert(tables_->released, tables_->release_index, releases_++, address);
  return out;
}

}  // namespace heaptrail::preload
