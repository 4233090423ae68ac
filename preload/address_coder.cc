// AddressCoder: ring lookups through 2-way indexes, without branches on the
// data.

#include "address_coder.h"

#include <algorithm>

#include "byte_writer.h"
#include "private_heap.h"

namespace heaptrail::preload {
namespace {

constexpr uint32_t kWindow = format::kAddressWindow;
static_assert(kWindow < (1u << 14), "a reference is a varint of at most 2 bytes");

// An address's hash: the low bits of the product pick its pair of index
// slots, the high 32 are the tag an entry keeps, so that a lookup reads the
// ring only to confirm. Blocks are 16-byte aligned: the multiply spreads the
// bits above those.
struct Hashed {
  uint32_t pair;
  uint32_t tag;
};

template <uint32_t kSize>
inline Hashed Hash(uint64_t address) {
  static_assert((kSize & (kSize - 1)) == 0);
  uint64_t product = address * 0x9e3779b97f4a7c15u;
  return {static_cast<uint32_t>(product >> 12) & (kSize - 2),
          static_cast<uint32_t>(product >> 32)};
}

// The reference that index `entry` gives to `address` in `ring`, whose next
// serial is `count`: the distance back, 1 for the most recent, within the
// window and within what was written since Reset(); 0 when the entry is
// another address's or stale.
inline uint32_t Distance(const uint64_t* ring, uint32_t count, uint64_t entry, uint32_t tag,
                         uint64_t address) {
  const uint32_t serial = static_cast<uint32_t>(entry);
  const uint32_t distance = count - serial;
  const bool valid = (static_cast<uint32_t>(entry >> 32) == tag) &
                     (distance - 1 < std::min(kWindow, count)) &
                     (ring[serial % kWindow] == address);
  return valid ? distance : 0;
}

}  // namespace

bool AddressCoder::Ready() {
  if (sides_ == nullptr) sides_ = static_cast<Side*>(AllocatePages(2 * sizeof(Side)));
  return sides_ != nullptr;
}

uint8_t* AddressCoder::PutAddresses(uint8_t* out, const uint8_t* tags,
                                    const uint64_t* addresses, size_t count,
                                    uint64_t previous) {
  // The index loads miss the cache more often than not (many threads'
  // tables, the program's own traffic): start them some events ahead.
  constexpr size_t kAhead = 8;
  auto prefetch = [this](uint64_t address) {
    const uint32_t pair = Hash<kIndexSize>(address).pair;
    __builtin_prefetch(&sides_[kAllocations].index[pair]);
    __builtin_prefetch(&sides_[kReleases].index[pair]);
  };
  for (size_t i = 0; i < count && i < kAhead; ++i) prefetch(addresses[i]);
  for (size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) prefetch(addresses[i + kAhead]);
    const uint64_t address = addresses[i];
    const format::EventTag tag = format::EventTagOf(tags[i]);
    // An allocation is looked up among the releases and recorded among the
    // allocations; a release the other way round.
    const int looked_up = tag == format::EventTag::kAlloc ? kReleases : kAllocations;
    const int recorded = kReleases - looked_up;
    const Hashed hashed = Hash<kIndexSize>(address);

    const Side& find = sides_[looked_up];
    const uint64_t* entries = &find.index[hashed.pair];
    const uint32_t first =
        Distance(find.ring, counts_[looked_up], entries[0], hashed.tag, address);
    const uint32_t second =
        Distance(find.ring, counts_[looked_up], entries[1], hashed.tag, address);
    const uint32_t distance = first != 0 ? first : second;
    if (distance != 0) {
      const bool two_bytes = distance >= 0x80;
      out[0] = static_cast<uint8_t>((distance & 0x7f) | (two_bytes << 7));
      out[1] = static_cast<uint8_t>(distance >> 7);
      out += 1 + two_bytes;
    } else {
      *out++ = 0;
      out = PutSvarint(out, static_cast<int64_t>(address - previous));
    }
    previous = address;

    // A kReallocFailed is no release: the block lives on.
    if (tag == format::EventTag::kReallocFailed) continue;
    Side& side = sides_[recorded];
    const uint32_t serial = counts_[recorded]++;
    uint64_t* slots = &side.index[hashed.pair];
    // The slot that has this tag already, or else the older one.
    const uint32_t tag0 = static_cast<uint32_t>(slots[0] >> 32);
    const uint32_t tag1 = static_cast<uint32_t>(slots[1] >> 32);
    const bool second_slot =
        (tag1 == hashed.tag) | ((tag0 != hashed.tag) & (serial - static_cast<uint32_t>(slots[1]) >
                                                        serial - static_cast<uint32_t>(slots[0])));
    slots[second_slot] = uint64_t{hashed.tag} << 32 | serial;
    side.ring[serial % kWindow] = address;
  }
  return out;
}

}  // namespace heaptrail::preload
