// AddressCoder: ring lookups through direct-mapped indexes.

#include "address_coder.h"

#include <cstring>

#include "byte_writer.h"
#include "private_heap.h"

namespace heaptrail::preload {
namespace {

// Blocks are 16-byte aligned: the multiply spreads the bits above those. An
// address may sit in either slot of its pair (two ways: far fewer misses
// than direct mapping, for one more compare on the same cache line).
template <uint32_t kSize>
uint32_t PairOf(uint64_t address) {
  static_assert((kSize & (kSize - 1)) == 0);
  return static_cast<uint32_t>((address * 0x9e3779b97f4a7c15u) >> 40) & (kSize - 2);
}

// The reference to `address` if `ring` holds it at `serial`: the distance
// from `count`, 1 for the most recent, within the window and within what was
// written since Reset(); 0 otherwise.
template <uint32_t kWindow>
uint32_t Distance(const uint64_t (&ring)[kWindow], uint32_t count, uint32_t serial,
                  uint64_t address) {
  uint32_t distance = count - serial;
  if (distance == 0 || distance > kWindow || distance > count) return 0;
  return ring[serial % kWindow] == address ? distance : 0;
}

// The nearer of the two references to `address` that its pair of `index`
// slots may give.
template <uint32_t kWindow, uint32_t kSize>
uint32_t Find(const uint64_t (&ring)[kWindow], const uint32_t (&index)[kSize], uint32_t count,
              uint64_t address) {
  const uint32_t pair = PairOf<kSize>(address);
  uint32_t first = Distance(ring, count, index[pair], address);
  uint32_t second = Distance(ring, count, index[pair + 1], address);
  if (first == 0) return second;
  return second == 0 || first < second ? first : second;
}

// Records that `ring` holds `address` at `serial` (= count): in the slot of
// its pair that holds it already or is older.
template <uint32_t kWindow, uint32_t kSize>
void Insert(const uint64_t (&ring)[kWindow], uint32_t (&index)[kSize], uint32_t serial,
            uint64_t address) {
  const uint32_t pair = PairOf<kSize>(address);
  uint32_t slot = pair;
  if (ring[index[pair + 1] % kWindow] == address ||
      (ring[index[pair] % kWindow] != address &&
       serial - index[pair + 1] > serial - index[pair])) {
    slot = pair + 1;
  }
  index[slot] = serial;
}

uint8_t* PutReference(uint8_t* out, uint32_t distance, uint64_t address) {
  if (distance != 0) return PutVarint(out, distance);
  *out++ = 0;
  std::memcpy(out, &address, 8);  // little-endian
  return out + 8;
}

}  // namespace

bool AddressCoder::Ready() {
  if (tables_ == nullptr) tables_ = static_cast<Tables*>(AllocatePages(sizeof(Tables)));
  return tables_ != nullptr;
}

uint8_t* AddressCoder::PutAllocation(uint8_t* out, uint64_t address) {
  out = PutReference(out, Find(tables_->released, tables_->release_index, releases_, address),
                     address);
  Insert(tables_->allocated, tables_->allocation_index, allocations_, address);
  tables_->allocated[allocations_ % format::kAllocationWindow] = address;
  ++allocations_;
  return out;
}

uint8_t* AddressCoder::PutRelease(uint8_t* out, uint64_t address, bool counts) {
  out = PutReference(
      out, Find(tables_->allocated, tables_->allocation_index, allocations_, address), address);
  if (counts) {
    Insert(tables_->released, tables_->release_index, releases_, address);
    tables_->released[releases_ % format::kReleaseWindow] = address;
    ++releases_;
  }
  return out;
}

}  // namespace heaptrail::preload
