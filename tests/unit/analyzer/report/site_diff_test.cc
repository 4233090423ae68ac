// DiffSites: compare_to semantics (sites on either side, sizes of the newer
// side, signed differences), matching by source location and not by module,
// the order, and the growth rule.

#include "report/site_diff.h"

#include <vector>

#include "gtest/gtest.h"
#include "report/growth.h"

namespace heaptrail::analyzer {
namespace {

Site MakeSite(const char* function, const char* file, uint32_t line, const char* module,
              uint64_t size, uint64_t count) {
  Site site;
  site.location = FrameInfo{function, file, line, module};
  site.stack = {site.location};
  site.size = size;
  site.count = count;
  return site;
}

TEST(SiteDiffTest, CompareToSemantics) {
  const std::vector<Site> older = {MakeSite("grow", "a.c", 10, "/old/prog", 100, 1),
                                   MakeSite("gone", "a.c", 20, "/old/prog", 50, 5),
                                   MakeSite("same", "a.c", 30, "/old/prog", 70, 7)};
  const std::vector<Site> newer = {MakeSite("grow", "a.c", 10, "/new/prog", 400, 4),
                                   MakeSite("same", "a.c", 30, "/new/prog", 70, 7),
                                   MakeSite("new", "b.c", 5, "/new/prog", 60, 2)};
  const SiteDiff diff = DiffSites(older, newer, GroupBy::kLine, 0);
  ASSERT_EQ(diff.sites.size(), 4u);
  EXPECT_EQ(diff.older_size, 220u);
  EXPECT_EQ(diff.newer_size, 530u);
  EXPECT_EQ(diff.older_count, 13u);
  EXPECT_EQ(diff.newer_count, 13u);
  // By |size_diff|: +300, +60, -50, then 0.
  EXPECT_EQ(diff.sites[0].location.function, "grow");
  EXPECT_EQ(diff.sites[0].location.module, "/new/prog");  // the newer side's
  EXPECT_EQ(diff.sites[0].size, 400u);
  EXPECT_EQ(diff.sites[0].size_diff, 300);
  EXPECT_EQ(diff.sites[0].count, 4u);
  EXPECT_EQ(diff.sites[0].count_diff, 3);
  EXPECT_EQ(diff.sites[1].location.function, "new");
  EXPECT_EQ(diff.sites[1].size_diff, 60);
  EXPECT_EQ(diff.sites[1].count_diff, 2);
  EXPECT_EQ(diff.sites[2].location.function, "gone");
  EXPECT_EQ(diff.sites[2].size, 0u);
  EXPECT_EQ(diff.sites[2].size_diff, -50);
  EXPECT_EQ(diff.sites[2].count, 0u);
  EXPECT_EQ(diff.sites[2].count_diff, -5);
  EXPECT_EQ(diff.sites[3].location.function, "same");
  EXPECT_EQ(diff.sites[3].size_diff, 0);
  EXPECT_EQ(diff.sites[3].count_diff, 0);

  const SiteDiff top = DiffSites(older, newer, GroupBy::kLine, 2);
  ASSERT_EQ(top.sites.size(), 2u);
  EXPECT_EQ(top.newer_size, 530u);  // totals cover every site
}

TEST(SiteDiffTest, EqualDifferencesSortBySize) {
  const std::vector<Site> older = {MakeSite("small", "a.c", 1, "m", 10, 1),
                                   MakeSite("large", "a.c", 2, "m", 1000, 1)};
  const std::vector<Site> newer = {MakeSite("small", "a.c", 1, "m", 20, 2),
                                   MakeSite("large", "a.c", 2, "m", 1010, 2)};
  const SiteDiff diff = DiffSites(older, newer, GroupBy::kLine, 0);
  ASSERT_EQ(diff.sites.size(), 2u);
  EXPECT_EQ(diff.sites[0].location.function, "large");
  EXPECT_EQ(diff.sites[1].location.function, "small");
}

TEST(SiteDiffTest, WithoutDebugInfoTheModuleNameMatches) {
  const Site a = MakeSite("f", "", 0, "/build1/libx.so", 1, 1);
  const Site b = MakeSite("f", "", 0, "/build2/libx.so", 1, 1);
  const Site c = MakeSite("f", "", 0, "/build2/liby.so", 1, 1);
  EXPECT_EQ(MatchKey(a, GroupBy::kLine), MatchKey(b, GroupBy::kLine));
  EXPECT_NE(MatchKey(a, GroupBy::kLine), MatchKey(c, GroupBy::kLine));
  // With a source file, the module does not matter at all.
  EXPECT_EQ(MatchKey(MakeSite("f", "x.c", 3, "/a/prog", 1, 1), GroupBy::kLine),
            MatchKey(MakeSite("f", "x.c", 3, "/b/other", 1, 1), GroupBy::kLine));
}

TEST(SiteDiffTest, ByStackMatchesWholeStacks) {
  Site one = MakeSite("alloc", "a.c", 1, "m", 8, 1);
  one.stack.push_back(FrameInfo{"caller1", "a.c", 10, "m"});
  Site two = MakeSite("alloc", "a.c", 1, "m", 8, 1);
  two.stack.push_back(FrameInfo{"caller2", "a.c", 20, "m"});
  EXPECT_NE(MatchKey(one, GroupBy::kStack), MatchKey(two, GroupBy::kStack));
  EXPECT_EQ(MatchKey(one, GroupBy::kLine), MatchKey(two, GroupBy::kLine));
}

GrowthSite Series(std::vector<uint64_t> sizes) {
  GrowthSite site;
  for (size_t i = 1; i < sizes.size(); ++i) {
    if (sizes[i] > sizes[i - 1]) {
      site.gained += sizes[i] - sizes[i - 1];
      ++site.grew;
    } else if (sizes[i] < sizes[i - 1]) {
      site.lost += sizes[i - 1] - sizes[i];
      ++site.shrank;
    }
  }
  site.sizes = std::move(sizes);
  return site;
}

TEST(GrowthRuleTest, SteadyGrowthIsSuspectCachesAreNot) {
  // A steady leak, and one that also frees a little.
  EXPECT_TRUE(IsGrowthSuspect(Series({1, 2, 3, 4, 5}), 4));
  EXPECT_TRUE(IsGrowthSuspect(Series({10, 20, 18, 30, 40}), 4));
  // Grew in exactly half of the intervals, gave nothing back.
  EXPECT_TRUE(IsGrowthSuspect(Series({1, 1, 2, 2, 3}), 4));
  // Oscillating, a bounded sawtooth, a single step, flat, shrinking.
  EXPECT_FALSE(IsGrowthSuspect(Series({0, 8, 0, 8, 0, 8}), 5));
  EXPECT_FALSE(IsGrowthSuspect(Series({1, 2, 3, 4, 1, 2, 3, 4}), 7));
  EXPECT_FALSE(IsGrowthSuspect(Series({0, 0, 0, 0, 100}), 4));
  EXPECT_FALSE(IsGrowthSuspect(Series({5, 5, 5}), 2));
  EXPECT_FALSE(IsGrowthSuspect(Series({5, 4, 3}), 2));
  // Lost more than a quarter of its gain.
  EXPECT_FALSE(IsGrowthSuspect(Series({0, 100, 200, 140}), 3));
  EXPECT_TRUE(IsGrowthSuspect(Series({0, 100, 200, 150}), 3));
}

}  // namespace
}  // namespace heaptrail::analyzer
