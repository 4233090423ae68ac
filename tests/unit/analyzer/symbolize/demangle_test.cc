// Demangling of names from DWARF and symbol tables.

#include "symbolize/demangle.h"

#include <gtest/gtest.h>

namespace heaptrail::analyzer::symbolize_internal {
namespace {

TEST(DemangleTest, DemanglesNamespacedFunction) {
  EXPECT_EQ(Demangle("_ZN17heaptrail_fixture6CallerEiP15FixtureO0Result"),
            "heaptrail_fixture::Caller(int, FixtureO0Result*)");
}

TEST(DemangleTest, DemanglesCompilerClones) {
  EXPECT_EQ(Demangle("_ZN2ns3fooEi.constprop.0"),
            "ns::foo(int) [clone .constprop.0]");
}

TEST(DemangleTest, LeavesCNamesAlone) {
  EXPECT_EQ(Demangle("malloc"), "malloc");
  EXPECT_EQ(Demangle("main"), "main");
  EXPECT_EQ(Demangle(""), "");
  // A short C name that is also a mangled type name must stay a name.
  EXPECT_EQ(Demangle("f"), "f");
}

TEST(DemangleTest, LeavesInvalidManglingAlone) {
  EXPECT_EQ(Demangle("_Z"), "_Z");
  EXPECT_EQ(Demangle("_ZN3foo"), "_ZN3foo");
}

}  // namespace
}  // namespace heaptrail::analyzer::symbolize_internal
