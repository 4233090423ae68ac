// Suppression files and the glob their patterns are; the budgets themselves
// are checked end to end (tests/e2e/check_test.cc).

#include "report/leak_check.h"

#include "gtest/gtest.h"
#include "report/glob.h"

namespace heaptrail::analyzer {
namespace {

TEST(LeakCheckTest, GlobMatchesWholeNames) {
  EXPECT_TRUE(GlobMatches("main", "main"));
  EXPECT_FALSE(GlobMatches("main", "main2"));
  EXPECT_FALSE(GlobMatches("main", "xmain"));
  EXPECT_TRUE(GlobMatches("*", ""));
  EXPECT_TRUE(GlobMatches("lib*.so*", "libcrypto.so.3"));
  EXPECT_TRUE(GlobMatches("*alloc*", "g_malloc0"));
  EXPECT_TRUE(
      GlobMatches("std::*::insert*", "std::map<int, int>::insert(int&&)"));
  EXPECT_TRUE(GlobMatches("a?c", "abc"));
  EXPECT_FALSE(GlobMatches("a?c", "ac"));
  EXPECT_TRUE(GlobMatches("*a*b*c", "xxaxxbxxbc"));
  EXPECT_FALSE(GlobMatches("*a*b*c", "xxaxxbxxb"));
}

TEST(LeakCheckTest, ParsesLeakSanitizerStyleFiles) {
  absl::StatusOr<std::vector<std::string>> patterns = ParseSuppressions(
      "# known leaks\n"
      "\n"
      "leak:libfontconfig.so*\n"
      "  leak:InitCaches   # our cache, freed by the OS\n"
      "leak:*/third_party/*\n");
  ASSERT_TRUE(patterns.ok()) << patterns.status();
  EXPECT_EQ(*patterns,
            (std::vector<std::string>{"libfontconfig.so*", "InitCaches",
                                      "*/third_party/*"}));
  EXPECT_TRUE(ParseSuppressions("").ok());
}

TEST(LeakCheckTest, RefusesOtherLinesNamingThem) {
  absl::StatusOr<std::vector<std::string>> patterns =
      ParseSuppressions("leak:ok\nrace:Other\n");
  ASSERT_FALSE(patterns.ok());
  EXPECT_NE(patterns.status().message().find("line 2"), std::string::npos)
      << patterns.status();
  EXPECT_FALSE(ParseSuppressions("leak:\n").ok());
}

}  // namespace
}  // namespace heaptrail::analyzer
