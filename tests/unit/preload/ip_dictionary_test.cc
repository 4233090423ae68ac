// IpDictionary: the numbers it gives are those of a plain list of the ips
// in order of first appearance, through growth and after Clear().

#include "ip_dictionary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace heaptrail::preload {
namespace {

// 200,000 lookups over 50,000 ips (the table grows from 16,384 slots).
void ExpectTheListsReferences(IpDictionary& dictionary) {
  std::vector<uint64_t> list;
  std::vector<int64_t> index_of(50000, -1);
  std::mt19937 random(3);
  for (int i = 0; i < 200000; ++i) {
    uint64_t n = random() % index_of.size();
    uint64_t ip = 0x400000 + 16 * n;
    IpDictionary::Entry entry = dictionary.Find(ip);
    if (index_of[n] < 0) {
      ASSERT_TRUE(entry.is_new);
      ASSERT_EQ(entry.index, list.size());
      ASSERT_EQ(entry.delta, static_cast<int64_t>(ip - (list.empty() ? 0 : list.back())));
      index_of[n] = static_cast<int64_t>(list.size());
      list.push_back(ip);
    } else {
      ASSERT_FALSE(entry.is_new);
      ASSERT_EQ(entry.index, static_cast<uint64_t>(index_of[n])) << "lookup " << i;
    }
  }
  EXPECT_GT(list.size(), 40000u);  // most ips met, each about 4 times
}

TEST(IpDictionaryTest, NumbersIpsInOrderOfFirstAppearance) {
  IpDictionary dictionary;
  ExpectTheListsReferences(dictionary);
}

TEST(IpDictionaryTest, ClearForgetsEveryIp) {
  IpDictionary dictionary;
  dictionary.Find(0x1234);
  dictionary.Clear();
  EXPECT_TRUE(dictionary.Find(0x1234).is_new);
  dictionary.Clear();
  ExpectTheListsReferences(dictionary);
}

}  // namespace
}  // namespace heaptrail::preload
