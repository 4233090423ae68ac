// Site grouping: the location skips the allocator and the preload, groups
// by line/function/file/stack, sorts by size or count.

#include "report/sites.h"

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "symbolize/fake_symbol_source.h"

namespace heaptrail::analyzer {
namespace {

using testing::FakeSymbolSource;
using testing::Frame;

constexpr char kExe[] = "/bin/prog";
constexpr char kPreload[] = "/opt/heaptrail/lib/libheaptrail.so";
constexpr char kLibc[] = "/lib/x86_64-linux-gnu/libc.so.6";
constexpr char kLibstdcxx[] = "/lib/x86_64-linux-gnu/libstdc++.so.6";

// One module per path, each 0x10000 bytes at a distinct base.
class SitesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uint64_t base = 0x10000;
    for (const char* path : {kExe, kPreload, kLibc, kLibstdcxx}) {
      ModuleLoadRecord record;
      record.module_id = base;
      record.info.path = path;
      record.info.load_bias = base;
      record.info.segments.push_back(Segment{0, 0x10000, 0, 5});
      ASSERT_TRUE(modules_.Load(record).ok());
      base_[path] = base;
      base += 0x10000;
    }
  }

  // Adds a node under `parent` at `offset` in `module`, with frames.
  uint32_t Node(uint32_t parent, const char* module, uint64_t offset,
                std::vector<SourceFrame> frames) {
    const uint64_t ip = base_[module] + offset;
    const uint32_t id = tree_.size();
    EXPECT_TRUE(tree_.Add(StackNodesRecord{id, {{parent, 0, ip}}}).ok());
    symbols_.Set(module, ip, std::move(frames));
    return id;
  }

  std::vector<Site> Build(const std::vector<StackValue>& values, GroupBy by,
                          SortBy sort = SortBy::kSize, size_t top = 0) {
    StackSymbolizer symbolizer(tree_, modules_, python_, symbols_);
    return BuildSites(values, {.by = by, .sort = sort, .top = top},
                      symbolizer);
  }

  std::vector<Site> BuildCumulative(const std::vector<StackValue>& values,
                                    GroupBy by) {
    StackSymbolizer symbolizer(tree_, modules_, python_, symbols_);
    return BuildSites(values, {.by = by, .cumulative = true}, symbolizer);
  }

  // Two stacks under main, one of them recursive:
  //   recursive_: malloc <- g g.cc:3 <- f f.cc:10 <- f f.cc:12 <- f f.cc:12
  //               <- main main.cc:5                       100 B in 1 block
  //   plain_:     malloc <- h h.cc:7 <- f f.cc:11 <- main main.cc:5
  //                                                        40 B in 2 blocks
  std::vector<StackValue> RecursiveStacks() {
    const uint32_t main_node =
        Node(0, kExe, 0x100, {Frame("main", "main.cc", 5, kExe)});
    const uint32_t f12 =
        Node(main_node, kExe, 0x212, {Frame("f", "f.cc", 12, kExe)});
    const uint32_t f12_again =
        Node(f12, kExe, 0x212, {Frame("f", "f.cc", 12, kExe)});
    const uint32_t f10 =
        Node(f12_again, kExe, 0x210, {Frame("f", "f.cc", 10, kExe)});
    const uint32_t g = Node(f10, kExe, 0x303, {Frame("g", "g.cc", 3, kExe)});
    const uint32_t recursive =
        Node(g, kLibc, 0x500, {Frame("malloc", "", 0, kLibc)});
    const uint32_t f11 =
        Node(main_node, kExe, 0x211, {Frame("f", "f.cc", 11, kExe)});
    const uint32_t h = Node(f11, kExe, 0x407, {Frame("h", "h.cc", 7, kExe)});
    const uint32_t plain =
        Node(h, kLibc, 0x500, {Frame("malloc", "", 0, kLibc)});
    return {{recursive, 100, 1}, {plain, 40, 2}};
  }

  StackTree tree_;
  ModuleMap modules_;
  PythonCodeTable python_;  // empty: no Python frames here
  FakeSymbolSource symbols_;
  std::map<std::string, uint64_t> base_;
};

TEST_F(SitesTest, AllocatorAndPreloadFramesAreSkipped) {
  const uint32_t main_node =
      Node(0, kExe, 0x100, {Frame("main", "main.cc", 5, kExe)});
  const uint32_t make =
      Node(main_node, kExe, 0x200,
           {Frame("std::vector<int>::reserve", "vector.h", 70, kExe, true),
            Frame("make_table", "table.cc", 12, kExe)});
  const uint32_t op_new =
      Node(make, kLibstdcxx, 0x300,
           {Frame("operator new(unsigned long)", "", 0, kLibstdcxx)});
  const uint32_t preload =
      Node(op_new, kPreload, 0x400,
           {Frame("heaptrail::preload::Record", "recorder.cc", 1, kPreload)});
  const std::vector<Site> sites = Build({{preload, 4096, 2}}, GroupBy::kLine);
  ASSERT_EQ(sites.size(), 1u);
  // The inlined frame is the innermost source frame outside the allocator.
  EXPECT_EQ(sites[0].location,
            (FrameInfo{"std::vector<int>::reserve", "vector.h", 70, kExe}));
  EXPECT_EQ(sites[0].size, 4096u);
  EXPECT_EQ(sites[0].count, 2u);
  ASSERT_EQ(sites[0].stack.size(), 3u);
  EXPECT_EQ(sites[0].stack[1].function, "make_table");
  EXPECT_EQ(sites[0].stack[2].function, "main");
}

TEST_F(SitesTest, AllocationEntryPointsAreRecognised) {
  for (const char* name :
       {"malloc", "calloc", "realloc", "free", "aligned_alloc",
        "posix_memalign", "memalign", "valloc", "pvalloc", "reallocarray",
        "operator new[](unsigned long)",
        "operator new(unsigned long, std::align_val_t)",
        "operator new(unsigned long, std::nothrow_t const&)"}) {
    EXPECT_TRUE(IsAllocatorFrame(Frame(name, "", 0, kLibc))) << name;
  }
  EXPECT_TRUE(IsAllocatorFrame(Frame("anything", "x.cc", 1, kPreload)));
  EXPECT_FALSE(IsAllocatorFrame(Frame("malloc_wrapper", "w.c", 1, kExe)));
  EXPECT_FALSE(IsAllocatorFrame(Frame("main", "main.cc", 1, kExe)));
}

TEST_F(SitesTest, GroupsByLineFunctionFileAndStack) {
  const uint32_t main_node =
      Node(0, kExe, 0x100, {Frame("main", "main.cc", 5, kExe)});
  const uint32_t other =
      Node(0, kExe, 0x110, {Frame("other", "main.cc", 30, kExe)});
  // Two call sites on the same line of f (different ips), one on another line.
  const uint32_t a =
      Node(main_node, kExe, 0x200, {Frame("f", "f.cc", 10, kExe)});
  const uint32_t b =
      Node(main_node, kExe, 0x204, {Frame("f", "f.cc", 10, kExe)});
  const uint32_t c =
      Node(main_node, kExe, 0x208, {Frame("f", "f.cc", 11, kExe)});
  const uint32_t d =
      Node(other, kExe, 0x200 + 0x1000, {Frame("f", "f.cc", 10, kExe)});
  const std::vector<StackValue> values = {
      {a, 100, 1}, {b, 50, 5}, {c, 10, 1}, {d, 7, 1}};

  std::vector<Site> sites = Build(values, GroupBy::kLine);
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].location, (FrameInfo{"f", "f.cc", 10, kExe}));
  EXPECT_EQ(sites[0].size, 157u);
  EXPECT_EQ(sites[0].count, 7u);
  EXPECT_EQ(sites[0].stack_count, 3u);
  EXPECT_EQ(sites[0].stack[1].function, "main");  // the largest stack (a)
  EXPECT_EQ(sites[1].location.line, 11u);

  sites = Build(values, GroupBy::kFunction);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].location, (FrameInfo{"f", "f.cc", 0, kExe}));
  EXPECT_EQ(sites[0].size, 167u);

  sites = Build(values, GroupBy::kFile);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].location, (FrameInfo{"", "f.cc", 0, kExe}));

  sites = Build(values, GroupBy::kStack);
  ASSERT_EQ(sites.size(), 3u);  // a+b share f.cc:10 <- main.cc:5
  EXPECT_EQ(sites[0].size, 150u);
  EXPECT_EQ(sites[1].size, 10u);
  EXPECT_EQ(sites[2].size, 7u);
  EXPECT_EQ(sites[2].stack[1].function, "other");
}

TEST_F(SitesTest, SortsByCountAndKeepsTheTop) {
  const uint32_t a = Node(0, kExe, 0x100, {Frame("a", "a.cc", 1, kExe)});
  const uint32_t b = Node(0, kExe, 0x200, {Frame("b", "b.cc", 1, kExe)});
  const uint32_t c = Node(0, kExe, 0x300, {Frame("c", "c.cc", 1, kExe)});
  const std::vector<StackValue> values = {
      {a, 1000, 1}, {b, 10, 50}, {c, 500, 2}};
  std::vector<Site> sites = Build(values, GroupBy::kLine, SortBy::kCount);
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].location.function, "b");
  EXPECT_EQ(sites[1].location.function, "c");
  sites = Build(values, GroupBy::kLine, SortBy::kSize, 2);
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].location.function, "a");
  EXPECT_EQ(sites[1].location.function, "c");
}

TEST_F(SitesTest, CumulativeByLineCreditsEveryLineOnceEvenInRecursion) {
  const std::vector<Site> sites =
      BuildCumulative(RecursiveStacks(), GroupBy::kLine);
  // Descending size; ties by function, file, line.
  const std::vector<std::tuple<FrameInfo, uint64_t, uint64_t, uint32_t>>
      expected = {
          {{"main", "main.cc", 5, kExe}, 140, 3, 2},
          {{"f", "f.cc", 10, kExe}, 100, 1, 1},
          {{"f", "f.cc", 12, kExe}, 100, 1, 1},  // twice in the stack
          {{"g", "g.cc", 3, kExe}, 100, 1, 1},
          {{"f", "f.cc", 11, kExe}, 40, 2, 1},
          {{"h", "h.cc", 7, kExe}, 40, 2, 1},
      };
  std::vector<std::tuple<FrameInfo, uint64_t, uint64_t, uint32_t>> actual;
  for (const Site& site : sites) {
    actual.emplace_back(site.location, site.size, site.count,
                        site.stack_count);
  }
  EXPECT_EQ(actual, expected);
  ASSERT_EQ(sites.size(), 6u);
  EXPECT_EQ(sites[0].stack.size(), 1u);  // from main outwards
  // A cumulative site's stack starts at its own frame: the inner f.cc:12.
  ASSERT_EQ(sites[2].stack.size(), 3u);
  EXPECT_EQ(sites[2].stack[0].line, 12u);
  EXPECT_EQ(sites[2].stack[1].line, 12u);
  EXPECT_EQ(sites[2].stack[2].function, "main");
}

TEST_F(SitesTest, CumulativeByFunctionAndFileCountsRecursionOnce) {
  const std::vector<StackValue> values = RecursiveStacks();
  std::vector<Site> sites = BuildCumulative(values, GroupBy::kFunction);
  ASSERT_EQ(sites.size(), 4u);
  // f appears three times in the recursive stack and once in the other.
  EXPECT_EQ(sites[0].location, (FrameInfo{"f", "f.cc", 0, kExe}));
  EXPECT_EQ(sites[0].size, 140u);
  EXPECT_EQ(sites[0].count, 3u);
  EXPECT_EQ(sites[0].stack.size(), 4u);  // the innermost f of the 100 B stack
  EXPECT_EQ(sites[0].stack[0].line, 10u);
  EXPECT_EQ(sites[1].location, (FrameInfo{"main", "main.cc", 0, kExe}));
  EXPECT_EQ(sites[1].size, 140u);
  EXPECT_EQ(sites[2].location, (FrameInfo{"g", "g.cc", 0, kExe}));
  EXPECT_EQ(sites[2].size, 100u);
  EXPECT_EQ(sites[3].location, (FrameInfo{"h", "h.cc", 0, kExe}));
  EXPECT_EQ(sites[3].size, 40u);
  EXPECT_EQ(sites[3].count, 2u);

  sites = BuildCumulative(values, GroupBy::kFile);
  ASSERT_EQ(sites.size(), 4u);
  EXPECT_EQ(sites[0].location, (FrameInfo{"", "f.cc", 0, kExe}));
  EXPECT_EQ(sites[0].size, 140u);
  EXPECT_EQ(sites[0].count, 3u);
  EXPECT_EQ(sites[1].location, (FrameInfo{"", "main.cc", 0, kExe}));
  EXPECT_EQ(sites[1].size, 140u);

  // Not cumulative: only the allocating lines.
  sites = Build(values, GroupBy::kLine);
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].location, (FrameInfo{"g", "g.cc", 3, kExe}));
  EXPECT_EQ(sites[1].location, (FrameInfo{"h", "h.cc", 7, kExe}));
}

// Stacks through three modules, symbolized ahead on threads with sources of
// their own: the same frames as on demand, the main source not asked, every
// module preloaded by each source that uses it, and the modules holding
// more than a thread's share (200 of 600 nodes, 4 threads) split between
// sources.
TEST_F(SitesTest, PrefetchGivesTheSameFramesAsOnDemand) {
  std::vector<uint32_t> ids = {0, 12345};  // the empty and an unknown stack
  for (uint32_t i = 0; i < 200; ++i) {
    const uint32_t main_node = Node(0, kExe, 0x100 + i,
                                    {Frame("main", "main.cc", 5 + i, kExe)});
    const uint32_t lib = Node(main_node, kLibstdcxx, 0x300 + i,
                              {Frame("operator new(unsigned long)", "", 0,
                                     kLibstdcxx)});
    ids.push_back(Node(lib, kLibc, 0x500 + i,
                       {Frame("inner", "in.c", i, kLibc, true),
                        Frame("malloc", "", 0, kLibc)}));
    ids.push_back(main_node);
  }
  StackSymbolizer on_demand(tree_, modules_, python_, symbols_);
  FakeSymbolSource main_source = symbols_;
  const FakeSymbolSource template_source = symbols_;
  std::vector<FakeSymbolSource*> made;
  StackSymbolizer ahead(tree_, modules_, python_, main_source,
                        [&template_source, &made] {
                          auto source = std::make_unique<FakeSymbolSource>(
                              template_source);
                          made.push_back(source.get());
                          return source;
                        });
  ahead.Prefetch(ids, 4);
  for (uint32_t id : ids) {
    const std::vector<const SourceFrame*> expected = on_demand.Frames(id);
    const std::vector<const SourceFrame*> actual = ahead.Frames(id);
    ASSERT_EQ(actual.size(), expected.size()) << id;
    for (size_t i = 0; i < actual.size(); ++i) {
      EXPECT_EQ(actual[i]->function, expected[i]->function) << id;
      EXPECT_EQ(actual[i]->file, expected[i]->file) << id;
      EXPECT_EQ(actual[i]->line, expected[i]->line) << id;
      EXPECT_EQ(actual[i]->module, expected[i]->module) << id;
      EXPECT_EQ(actual[i]->inlined, expected[i]->inlined) << id;
    }
  }
  EXPECT_EQ(main_source.calls, 0);
  ASSERT_EQ(made.size(), 4u);
  size_t modules_added = 0;
  int calls = 0;
  for (const FakeSymbolSource* source : made) {
    EXPECT_EQ(source->preloaded.size(), source->modules_.size());
    modules_added += source->modules_.size();
    calls += source->calls;
  }
  EXPECT_EQ(calls, 600);   // each node once
  EXPECT_EQ(modules_added, 6u);  // 3 modules, each in two runs (150 + 50)
}

// Below kMinPrefetchNodes nodes, threads are not worth starting.
TEST_F(SitesTest, PrefetchLeavesFewNodesToOnDemand) {
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < 10; ++i) {
    ids.push_back(Node(0, i % 2 == 0 ? kExe : kLibc, 0x100 + i,
                       {Frame("f", "f.cc", i, kExe)}));
  }
  int made = 0;
  StackSymbolizer ahead(tree_, modules_, python_, symbols_, [&made] {
    ++made;
    return std::make_unique<FakeSymbolSource>();
  });
  ahead.Prefetch(ids, 4);
  EXPECT_EQ(made, 0);
  EXPECT_EQ(ahead.Frames(ids[3]).front()->line, 3u);
}

TEST_F(SitesTest, EmptyStackIsUnknown) {
  const std::vector<Site> sites = Build({{0, 8, 1}}, GroupBy::kLine);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].location.function, "<unknown>");
  EXPECT_TRUE(sites[0].stack.empty());
}

TEST(ParseTest, GroupByAndSortBy) {
  EXPECT_EQ(*ParseGroupBy("line"), GroupBy::kLine);
  EXPECT_EQ(*ParseGroupBy("stack"), GroupBy::kStack);
  EXPECT_FALSE(ParseGroupBy("lines").ok());
  EXPECT_EQ(*ParseSortBy("count"), SortBy::kCount);
  EXPECT_FALSE(ParseSortBy("").ok());
}

}  // namespace
}  // namespace heaptrail::analyzer
