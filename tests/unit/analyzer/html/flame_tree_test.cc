// FlameTree: merged stacks with exact sums, and pruning of tiny children
// into one "[N smaller]" node that keeps their value.

#include "html/flame_tree.h"

#include <vector>

#include "gtest/gtest.h"

namespace heaptrail::analyzer {
namespace {

TEST(FlameTreeTest, MergesCommonPrefixesWithExactSums) {
  FlameTree tree;
  const std::vector<uint32_t> a = {0, 1, 2};
  const std::vector<uint32_t> b = {0, 1, 3};
  const std::vector<uint32_t> c = {0, 4};
  tree.Add(a, 1000, 10);
  tree.Add(b, 24, 1);
  tree.Add(c, 5120, 2);
  tree.Add(a, 1, 1);
  const nlohmann::json json = tree.ToJson(0);
  EXPECT_EQ(json, nlohmann::json::parse(R"(
    [-1, 6145, 14, [[0, 6145, 14, [[4, 5120, 2, []],
                                   [1, 1025, 12, [[2, 1001, 11, []],
                                                  [3, 24, 1, []]]]]]]])"));
}

TEST(FlameTreeTest, TinyChildrenMergeKeepingTheirValue) {
  FlameTree tree;
  tree.Add(std::vector<uint32_t>{7}, 10000, 1);
  for (uint32_t frame = 100; frame < 110; ++frame) {
    tree.Add(std::vector<uint32_t>{frame}, 3, 1);
  }
  // 1% of 10030 is 100: the ten 3-byte children merge into one node.
  const nlohmann::json json = tree.ToJson(0.01);
  EXPECT_EQ(json,
            nlohmann::json::parse(
                R"([-1, 10030, 11, [[7, 10000, 1, []], [-2, 30, 10, []]]])"));
}

}  // namespace
}  // namespace heaptrail::analyzer
