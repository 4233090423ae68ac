// LiveBlocks: the rows' decoder and the table (see live_blocks.h).

#include "live_blocks.h"

#include "heaptrail/trace_format.h"
#include "private_heap.h"

namespace heaptrail::preload {
namespace {

constexpr size_t kInitialCapacity = 4096;

// The varint at `*p`, advancing it; false when it runs past `end` or is too
// long.
bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end) return false;
    uint8_t byte = *p++;
    value |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

size_t HashOf(uint64_t address, size_t capacity) {
  // Blocks are 16-byte aligned; Fibonacci hashing spreads the rest.
  return static_cast<size_t>(((address >> 4) * 0x9e3779b97f4a7c15ull) >> 20) & (capacity - 1);
}

}  // namespace

bool LiveBlocks::ApplyRows(const uint8_t* rows, size_t size, uint64_t& tick,
                           uint64_t& address) {
  if (failed_) return false;
  // Decoded a batch at a time, and each event's home slot prefetched before
  // the batch is applied: the table outgrows the cache, and its slots are
  // at random.
  constexpr int kBatch = 16;
  struct Decoded {
    uint8_t tag;
    uint64_t tick, size, address;
  } batch[kBatch];
  const uint8_t* p = rows;
  const uint8_t* end = rows + size;
  while (p < end) {
    int count = 0;
    for (; count < kBatch && p < end; ++count) {
      Decoded& event = batch[count];
      event.tag = *p++;
      uint64_t fields = format::FieldsOf(format::EventTagOf(event.tag));
      uint64_t delta_tick, zigzag, stack;
      event.size = 0;
      if (fields == 0 || !ReadVarint(p, end, delta_tick)) return Fail();
      if ((fields & format::kFieldSize) != 0 && !ReadVarint(p, end, event.size)) return Fail();
      if (!ReadVarint(p, end, zigzag)) return Fail();
      if ((fields & format::kFieldStack) != 0 && !ReadVarint(p, end, stack)) return Fail();
      tick += delta_tick;
      address += (zigzag >> 1) ^ (~(zigzag & 1) + 1);
      event.tick = tick;
      event.address = address;
      if (capacity_ != 0) __builtin_prefetch(&slots_[HashOf(address, capacity_)], 1);
    }
    for (int i = 0; i < count; ++i) {
      const Decoded& event = batch[i];
      switch (format::EventTagOf(event.tag)) {
        case format::EventTag::kAlloc: Allocated(event.address, event.size, event.tick); break;
        case format::EventTag::kFree:
        case format::EventTag::kFreeWithStack:
          Released(event.address, event.tick,
                   static_cast<format::FreeKind>(format::EventKindOf(event.tag)));
          break;
        case format::EventTag::kReallocFailed: ReallocFailed(event.address, event.tick); break;
      }
      if (failed_) return false;
    }
  }
  return true;
}

bool LiveBlocks::Fail() {
  failed_ = true;
  return false;
}

void LiveBlocks::Allocated(uint64_t address, uint64_t size, uint64_t tick) {
  Slot* slot = Find(address);
  if (slot == nullptr) return;
  if (slot->address == 0) {
    *slot = Slot{address, tick, size & kSizeMask};
    ++used_;
    ++live_;
    return;
  }
  if (tick < slot->tick) return;  // a later event on this address came first
  if ((slot->state & kReleased) != 0) ++live_;
  slot->tick = tick;
  slot->state = size & kSizeMask;
}

void LiveBlocks::Released(uint64_t address, uint64_t tick, format::FreeKind kind) {
  Slot* slot = Find(address);
  if (slot == nullptr) return;
  uint64_t released = kReleased | (round_ & kRoundMask) << kRoundShift;
  if (slot->address == 0) {
    *slot = Slot{address, tick, released};  // its allocation is still to come
    ++used_;
    return;
  }
  if (tick < slot->tick) return;
  if ((slot->state & kReleased) != 0) {
    slot->tick = tick;
    slot->state = released;
    return;
  }
  // The usual case: the release of a block seen allocated. An older event
  // on this address still to come would have to be an earlier generation's
  // (alloc, free, alloc on other threads within one round): keeping a
  // tombstone per release for it costs a table of every recent release,
  // cold in the cache. A failed realloc's release stays, for its size.
  --live_;
  if (kind == format::FreeKind::kRealloc) {
    slot->tick = tick;
    slot->state = released | (slot->state & kSizeMask);
    return;
  }
  Erase(slot);
}

void LiveBlocks::Erase(Slot* hole) {
  // Backward-shift deletion: move up every later slot of the run whose home
  // is not between the hole and itself.
  size_t mask = capacity_ - 1;
  size_t i = static_cast<size_t>(hole - slots_);
  for (size_t j = (i + 1) & mask; slots_[j].address != 0; j = (j + 1) & mask) {
    size_t home = HashOf(slots_[j].address, capacity_);
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i].address = 0;
  --used_;
}

void LiveBlocks::ReallocFailed(uint64_t address, uint64_t tick) {
  // Its release is on the same thread, just before: already applied.
  Slot* slot = Find(address);
  if (slot == nullptr || slot->address == 0 || tick < slot->tick) return;
  if ((slot->state & kReleased) == 0) return;
  ++live_;
  slot->tick = tick;
  slot->state &= kSizeMask;
}

LiveBlocks::Slot* LiveBlocks::Find(uint64_t address) {
  if (used_ + 1 > capacity_ / 2 && !Reserve()) return nullptr;
  size_t mask = capacity_ - 1;
  for (size_t i = HashOf(address, capacity_);; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.address == address || slot.address == 0) return &slot;
  }
}

bool LiveBlocks::Reserve() {
  if (capacity_ == 0) return Rebuild(kInitialCapacity);
  // Tombstones old enough to go make room in place when they are many.
  size_t expired = 0;
  for (size_t i = 0; i < capacity_; ++i) expired += slots_[i].address != 0 && Expired(slots_[i]);
  return Rebuild(expired >= used_ / 2 ? capacity_ : capacity_ * 2);
}

bool LiveBlocks::Rebuild(size_t capacity) {
  auto* slots = static_cast<Slot*>(AllocatePages(capacity * sizeof(Slot)));
  if (slots == nullptr) {
    failed_ = true;
    return false;
  }
  size_t used = 0;
  size_t mask = capacity - 1;
  for (size_t i = 0; i < capacity_; ++i) {
    const Slot& slot = slots_[i];
    if (slot.address == 0 || Expired(slot)) continue;
    size_t j = HashOf(slot.address, capacity);
    while (slots[j].address != 0) j = (j + 1) & mask;
    slots[j] = slot;
    ++used;
  }
  FreePages(slots_, capacity_ * sizeof(Slot));
  slots_ = slots;
  capacity_ = capacity;
  used_ = used;
  return true;
}

void LiveBlocks::Reset() {
  FreePages(slots_, capacity_ * sizeof(Slot));
  slots_ = nullptr;
  capacity_ = used_ = live_ = 0;
  round_ = 0;
  failed_ = false;
}

}  // namespace heaptrail::preload
