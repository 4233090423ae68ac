// IpDictionary: open addressing with linear probing, at most half full.

#include "ip_dictionary.h"

#include "private_heap.h"

namespace heaptrail::preload {
namespace {

constexpr uint64_t kInitialCapacity = uint64_t{1} << 14;

uint64_t SlotOf(uint64_t ip, uint64_t capacity) {
  return (ip * 0x9E3779B97F4A7C15ull) >> 20 & (capacity - 1);
}

}  // namespace

IpDictionary::Entry IpDictionary::Find(uint64_t ip) {
  if (2 * (count_ + 1) > capacity_) Grow();
  if (slots_ != nullptr) {
    for (uint64_t i = SlotOf(ip, capacity_);; i = (i + 1) & (capacity_ - 1)) {
      if (slots_[i].ip == ip) return {slots_[i].index, false, 0};
      if (slots_[i].ip != 0) continue;
      if (2 * (count_ + 1) <= capacity_) slots_[i] = {ip, count_};
      break;
    }
  }
  // New (or, out of memory, not kept: numbered all the same, so that the
  // reader's numbering stays the writer's).
  Entry entry = {count_++, true, static_cast<int64_t>(ip - latest_new_)};
  latest_new_ = ip;
  return entry;
}

bool IpDictionary::Grow() {
  uint64_t capacity = capacity_ == 0 ? kInitialCapacity : 2 * capacity_;
  auto* slots = static_cast<Slot*>(AllocatePages(capacity * sizeof(Slot)));
  if (slots == nullptr) return false;
  for (uint64_t i = 0; i < capacity_; ++i) {
    if (slots_[i].ip == 0) continue;
    uint64_t j = SlotOf(slots_[i].ip, capacity);
    while (slots[j].ip != 0) j = (j + 1) & (capacity - 1);
    slots[j] = slots_[i];
  }
  if (slots_ != nullptr) FreePages(slots_, capacity_ * sizeof(Slot));
  slots_ = slots;
  capacity_ = capacity;
  return true;
}

void IpDictionary::Clear() {
  if (slots_ != nullptr) FreePages(slots_, capacity_ * sizeof(Slot));
  slots_ = nullptr;
  capacity_ = 0;
  count_ = 0;
  latest_new_ = 0;
}

}  // namespace heaptrail::preload
