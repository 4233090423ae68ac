// AddressTable against std::unordered_map: random inserts and erases over
// clustered and scattered addresses (backward shifts across the wrap-around,
// growth), the empty marker as a key, and values that survive moves.

#include "replay/address_table.h"

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

struct Value {
  uint64_t size = 0;
  uint32_t tag = 0;
};

TEST(AddressTableTest, InsertFindErase) {
  AddressTable<Value> table;
  EXPECT_EQ(table.Find(0x1000), nullptr);
  auto [value, inserted] = table.Insert(0x1000, {16, 1});
  EXPECT_TRUE(inserted);
  EXPECT_EQ(value->size, 16u);
  auto [again, inserted_again] = table.Insert(0x1000, {32, 2});
  EXPECT_FALSE(inserted_again);
  EXPECT_EQ(again->size, 16u);  // the held value, not the new one
  Value erased;
  EXPECT_TRUE(table.Erase(0x1000, &erased));
  EXPECT_EQ(erased.tag, 1u);
  EXPECT_FALSE(table.Erase(0x1000));
  EXPECT_EQ(table.size(), 0u);
}

TEST(AddressTableTest, TheEmptyMarkerIsAnOrdinaryKey) {
  AddressTable<Value> table;
  const uint64_t marker = ~uint64_t{0};
  EXPECT_EQ(table.Find(marker), nullptr);
  EXPECT_TRUE(table.Insert(marker, {7, 7}).second);
  EXPECT_TRUE(table.Insert(0, {8, 8}).second);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.Find(marker)->size, 7u);
  EXPECT_EQ(table.Find(0)->size, 8u);
  Value erased;
  EXPECT_TRUE(table.Erase(marker, &erased));
  EXPECT_EQ(erased.size, 7u);
  EXPECT_EQ(table.Find(marker), nullptr);
  EXPECT_EQ(table.size(), 1u);
}

// Dense runs of 16-byte-aligned addresses (a heap's) and random ones, with
// a live set that grows past several resizes and then churns: every
// operation agrees with std::unordered_map.
TEST(AddressTableTest, AgreesWithUnorderedMapUnderChurn) {
  std::mt19937_64 random(7);
  AddressTable<Value> table;
  std::unordered_map<uint64_t, Value> expected;
  std::vector<uint64_t> keys;
  const auto next_address = [&random]() -> uint64_t {
    return random() % 2 == 0 ? 0x7f0000000000 + 16 * (random() % 100000)
                             : random();
  };
  for (int step = 0; step < 400000; ++step) {
    const bool grow = step < 200000 ? random() % 3 != 0 : random() % 2 == 0;
    if (grow || keys.empty()) {
      const uint64_t address = next_address();
      const Value value{random() % 4096, static_cast<uint32_t>(step)};
      const auto [held, inserted] = table.Insert(address, value);
      const auto [it, expected_inserted] = expected.try_emplace(address, value);
      ASSERT_EQ(inserted, expected_inserted);
      ASSERT_EQ(held->tag, it->second.tag);
      if (inserted) keys.push_back(address);
    } else {
      const size_t pick = random() % keys.size();
      const uint64_t address = keys[pick];
      keys[pick] = keys.back();
      keys.pop_back();
      Value erased;
      ASSERT_TRUE(table.Erase(address, &erased));
      ASSERT_EQ(erased.tag, expected.at(address).tag);
      expected.erase(address);
      ASSERT_EQ(table.Find(address), nullptr);
    }
    ASSERT_EQ(table.size(), expected.size());
  }
  for (const auto& [address, value] : expected) {
    const Value* found = table.Find(address);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->tag, value.tag);
    EXPECT_EQ(found->size, value.size);
  }
}

}  // namespace
}  // namespace heaptrail::analyzer
