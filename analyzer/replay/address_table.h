// A hash table from block address to a small value, made for the heap
// replay's pattern: every block is inserted once and erased once, millions
// of times, over a live set that mostly fits in cache.
//
// Open addressing with linear probing, at most a sixteenth full while the
// table is small enough to stay in cache (short clusters, few mispredicted
// branches: an erase and an insert take 11 ns an eighth full, against 41 ns
// half full and 38 ns in absl::flat_hash_map, measured on glibc's
// addresses; a sixteenth full makes the whole replay 9% faster than an
// eighth, bench/analyzer_stages), at most half full beyond that (memory: 2
// MiB at most while sparse, then 64 bytes per entry). Sparser beyond 2 MiB
// buys nothing: the slots miss the cache either way, and the fresh pages
// cost more than the probes save (a 8 MiB sparse table made a cc1plus
// trace's replay touch 32 MiB for 22k live blocks). Erase shifts the
// following entries back instead of leaving tombstones, so churn never
// degrades the table or forces a rehash (a general-purpose table's cost on
// this pattern). Prefetch() lets the replay start loading an address's slot
// a few events before it needs it. Addresses hash by a multiplicative hash;
// ~0 is the empty marker and is kept on the side.
//
// Memory is bounded by the most entries held at once (the table never
// shrinks).
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_REPLAY_ADDRESS_TABLE_H_
#define HEAPTRAIL_ANALYZER_REPLAY_ADDRESS_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace heaptrail::analyzer {

template <typename Value>
class AddressTable {
 public:
  AddressTable() { slots_.resize(kMinCapacity); }

  size_t size() const { return size_ + (empty_key_value_ ? 1 : 0); }

  // The value at `address`, or null. Valid until the next Insert or Erase.
  Value* Find(uint64_t address) {
    if (address == kEmpty) return empty_key_value_ ? &*empty_key_value_ : nullptr;
    for (size_t i = Home(address);; i = Next(i)) {
      Slot& slot = slots_[i];
      if (slot.address == address) return &slot.value;
      if (slot.address == kEmpty) return nullptr;
    }
  }

  // Calls `visit(address, value)` for every entry, in no order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (const Slot& slot : slots_) {
      if (slot.address != kEmpty) visit(slot.address, slot.value);
    }
    if (empty_key_value_) visit(kEmpty, *empty_key_value_);
  }

  // Inserts `value` at `address` unless it is there already; returns the
  // value held there and whether it was inserted.
  std::pair<Value*, bool> Insert(uint64_t address, const Value& value) {
    if (address == kEmpty) {
      if (empty_key_value_) return {&*empty_key_value_, false};
      return {&empty_key_value_.emplace(value), true};
    }
    const size_t max_load = slots_.size() <= kSparseCapacity ? 16 : 2;
    if (max_load * (size_ + 1) > slots_.size()) Grow();
    for (size_t i = Home(address);; i = Next(i)) {
      Slot& slot = slots_[i];
      if (slot.address == address) return {&slot.value, false};
      if (slot.address == kEmpty) {
        slot.address = address;
        slot.value = value;
        ++size_;
        return {&slot.value, true};
      }
    }
  }

  // Removes `address`, copying its value to `*erased` when not null; false
  // when it was not there.
  bool Erase(uint64_t address, Value* erased = nullptr) {
    if (address == kEmpty) {
      if (!empty_key_value_) return false;
      if (erased != nullptr) *erased = *empty_key_value_;
      empty_key_value_.reset();
      return true;
    }
    size_t hole = Home(address);
    while (slots_[hole].address != address) {
      if (slots_[hole].address == kEmpty) return false;
      hole = Next(hole);
    }
    if (erased != nullptr) *erased = slots_[hole].value;
    // Backward shift: move each following entry of the cluster into the
    // hole when its home does not lie between the hole and itself.
    for (size_t i = Next(hole);; i = Next(i)) {
      Slot& slot = slots_[i];
      if (slot.address == kEmpty) break;
      const size_t home = Home(slot.address);
      const bool stays = hole <= i ? (hole < home && home <= i)
                                   : (hole < home || home <= i);
      if (stays) continue;
      slots_[hole] = slot;
      hole = i;
    }
    slots_[hole].address = kEmpty;
    --size_;
    return true;
  }

  // Hints that `address` is looked up soon.
  void Prefetch(uint64_t address) const {
    __builtin_prefetch(&slots_[Home(address)]);
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr size_t kMinCapacity = 1024;
  static constexpr size_t kSparseCapacity = size_t{1} << 16;  // 2 MiB

  struct Slot {
    uint64_t address = kEmpty;
    Value value{};
  };

  size_t Home(uint64_t address) const {
    // Fibonacci hashing: the high bits of the product mix every address bit,
    // and blocks' low bits (alignment) carry no information.
    return static_cast<size_t>((address * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  size_t Next(size_t i) const { return (i + 1) & (slots_.size() - 1); }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    --shift_;
    size_ = 0;
    for (const Slot& slot : old) {
      if (slot.address != kEmpty) Insert(slot.address, slot.value);
    }
  }

  std::vector<Slot> slots_;
  unsigned shift_ = 64 - 10;  // 64 - log2(kMinCapacity)
  size_t size_ = 0;           // entries in slots_
  std::optional<Value> empty_key_value_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPLAY_ADDRESS_TABLE_H_
