// StackTree, ModuleMap (epochs) and StackSymbolizer with a fake symbol
// source.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "symbolize/fake_symbol_source.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_warmer.h"
#include "trace/module_map.h"
#include "trace/stack_tree.h"

namespace heaptrail::analyzer {
namespace {

using testing::FakeSymbolSource;
using testing::Frame;

ModuleLoadRecord Load(uint64_t id, uint32_t epoch, std::string path,
                      uint64_t bias, uint64_t vaddr, uint64_t memsz) {
  ModuleLoadRecord record;
  record.module_id = id;
  record.epoch = epoch;
  record.info.path = std::move(path);
  record.info.load_bias = bias;
  record.info.segments.push_back(Segment{vaddr, memsz, 0, 5});
  return record;
}

// /bin/prog (module 0), /lib/a.so (1) in epoch 0, and /lib/b.so (2) mapped
// where a.so was from epoch 1 on.
void LoadProgramAndTwoLibrariesAtOneAddress(ModuleMap& map) {
  ModuleLoadRecord exe = Load(1, 0, "/bin/prog", 0x40'0000, 0, 0x5000);
  ModuleLoadRecord a = Load(2, 0, "/lib/a.so", 0x7000'0000, 0x1000, 0x1000);
  ModuleLoadRecord b = Load(3, 1, "/lib/b.so", 0x7000'0000, 0x1000, 0x1000);
  ASSERT_TRUE(map.Load(exe).ok());
  ASSERT_TRUE(map.Load(a).ok());
  ASSERT_TRUE(map.Unload(ModuleUnloadRecord{2, 1}).ok());
  ASSERT_TRUE(map.Load(b).ok());
}

TEST(StackTreeTest, PathsWalkToTheRoot) {
  StackTree tree;
  StackNodesRecord record{1, {{0, 0, 0x10}, {1, 0, 0x20}, {1, 0, 0x30}}};
  ASSERT_TRUE(tree.Add(record).ok());
  EXPECT_EQ(tree.Path(3), (std::vector<uint32_t>{3, 1}));
  EXPECT_EQ(tree.Path(2), (std::vector<uint32_t>{2, 1}));
  EXPECT_TRUE(tree.Path(0).empty());
  EXPECT_TRUE(tree.Path(99).empty());
}

TEST(StackTreeTest, RejectsGapsAndForwardParents) {
  StackTree tree;
  EXPECT_FALSE(tree.Add(StackNodesRecord{2, {{0, 0, 1}}}).ok());
  EXPECT_FALSE(tree.Add(StackNodesRecord{1, {{1, 0, 1}}}).ok());
  EXPECT_TRUE(tree.Add(StackNodesRecord{1, {{0, 0, 1}}}).ok());
}

TEST(ModuleMapTest, ResolvesAgainstTheModulesOfTheNodesEpoch) {
  ModuleMap map;
  ModuleLoadRecord a = Load(1, 0, "/lib/a.so", 0x7000'0000, 0x1000, 0x1000);
  ModuleLoadRecord b = Load(2, 1, "/lib/b.so", 0x7000'0000, 0x1000, 0x1000);
  ModuleLoadRecord exe = Load(3, 0, "/bin/prog", 0x40'0000, 0, 0x5000);
  ASSERT_TRUE(map.Load(a).ok());
  ASSERT_TRUE(map.Load(exe).ok());
  ASSERT_TRUE(map.Unload(ModuleUnloadRecord{1, 1}).ok());
  ASSERT_TRUE(map.Load(b).ok());  // mapped where a.so was
  EXPECT_EQ(map.Find(0x7000'1800, 0), std::optional<size_t>(0));
  EXPECT_EQ(map.Find(0x7000'1800, 1), std::optional<size_t>(2));
  EXPECT_EQ(map.Find(0x7000'1800, 5), std::optional<size_t>(2));
  EXPECT_EQ(map.Find(0x40'0010, 3), std::optional<size_t>(1));
  EXPECT_EQ(map.Find(0x7000'2000, 0), std::nullopt);  // one past the end
  EXPECT_EQ(map.Find(0x10, 0), std::nullopt);
}

TEST(ModuleMapTest, UnloadOfAnUnknownModuleIsIgnoredButNotOneBeforeItsLoad) {
  ModuleMap map;
  EXPECT_TRUE(map.Unload(ModuleUnloadRecord{7, 1}).ok());
  ModuleLoadRecord a = Load(1, 3, "/lib/a.so", 0x1000, 0, 0x1000);
  ASSERT_TRUE(map.Load(a).ok());
  EXPECT_FALSE(map.Unload(ModuleUnloadRecord{1, 2}).ok());
}

TEST(ModuleMapTest, FindsAnAddressInsideALargeEarlierSegment) {
  ModuleMap map;
  ModuleLoadRecord big = Load(1, 0, "/big", 0, 0x1000, 0x100000);
  ModuleLoadRecord small = Load(2, 0, "/small", 0, 0x2000, 0x10);
  ASSERT_TRUE(map.Load(big).ok());
  ASSERT_TRUE(map.Load(small).ok());
  // Past the small one, still inside the big one that starts earlier.
  EXPECT_EQ(map.Find(0x3000, 0), std::optional<size_t>(0));
}

TEST(StackSymbolizerTest, ExpandsInlinedFramesAndResolvesByEpoch) {
  StackTree tree;
  // 1: main+ (exe), 2: helper (lib a, epoch 0), 3: same address in epoch 1 (lib
  // b)
  ASSERT_TRUE(tree.Add(StackNodesRecord{1,
                                        {{0, 0, 0x40'0100},
                                         {1, 0, 0x7000'1100},
                                         {1, 1, 0x7000'1100},
                                         {1, 0, 0x9999}}})
                  .ok());
  ModuleMap map;
  ASSERT_NO_FATAL_FAILURE(LoadProgramAndTwoLibrariesAtOneAddress(map));
  FakeSymbolSource symbols;
  symbols.Set("/bin/prog", 0x40'0100,
              {Frame("main", "main.cc", 10, "/bin/prog")});
  symbols.Set("/lib/a.so", 0x7000'1100,
              {Frame("inner", "a.h", 3, "/lib/a.so", true),
               Frame("outer", "a.cc", 7, "/lib/a.so")});
  symbols.Set("/lib/b.so", 0x7000'1100,
              {Frame("b_func", "b.cc", 1, "/lib/b.so")});
  const PythonCodeTable python;
  StackSymbolizer symbolizer(tree, map, python, symbols);

  std::vector<const SourceFrame*> frames = symbolizer.Frames(2);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0]->function, "inner");
  EXPECT_EQ(frames[1]->function, "outer");
  EXPECT_EQ(frames[2]->function, "main");
  EXPECT_TRUE(symbols.last_was_return_address);

  frames = symbolizer.Frames(3);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]->function, "b_func");

  frames = symbolizer.Frames(4);  // outside every module
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]->function, "0x9999");
  EXPECT_EQ(frames[0]->module, "");

  frames = symbolizer.Frames(77);  // never defined
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->function, "<unknown stack 77>");

  const int calls = symbols.calls;
  symbolizer.Frames(2);  // cached per node
  EXPECT_EQ(symbols.calls, calls);
}

// The frames cache is indexed by node id: nodes the tree gets after the
// symbolizer was made (a live trace read further) are symbolized too, and
// those cached before stay cached.
TEST(StackSymbolizerTest, NodesAddedToTheTreeLaterAreSymbolized) {
  StackTree tree;
  ASSERT_TRUE(tree.Add(StackNodesRecord{1, {{0, 0, 0x40'0100}}}).ok());
  ModuleMap map;
  ASSERT_NO_FATAL_FAILURE(LoadProgramAndTwoLibrariesAtOneAddress(map));
  FakeSymbolSource symbols;
  symbols.Set("/bin/prog", 0x40'0100,
              {Frame("main", "main.cc", 10, "/bin/prog")});
  symbols.Set("/lib/a.so", 0x7000'1100,
              {Frame("helper", "a.cc", 7, "/lib/a.so")});
  const PythonCodeTable python;
  StackSymbolizer symbolizer(tree, map, python, symbols);
  ASSERT_EQ(symbolizer.Frames(1).size(), 1u);
  const int calls = symbols.calls;

  ASSERT_TRUE(tree.Add(StackNodesRecord{2,
                                        {{1, 0, 0x7000'1100},
                                         {2, 0, 0x7000'1100},
                                         {1, 0, 0x40'0100}}})
                  .ok());
  std::vector<const SourceFrame*> frames = symbolizer.Frames(3);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0]->function, "helper");
  EXPECT_EQ(frames[1]->function, "helper");
  EXPECT_EQ(frames[2]->function, "main");
  EXPECT_EQ(symbols.calls, calls + 2);  // nodes 2 and 3; node 1 was cached
  frames = symbolizer.Frames(4);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0]->function, "main");
  EXPECT_EQ(symbols.calls, calls + 3);
}

// Counts lookups so that a test can wait for the warmer's worker without
// racing on the fake's own counters.
class CountingSource : public FakeSymbolSource {
 public:
  const std::vector<SourceFrame>& Symbolize(size_t module, uint64_t address,
                                            bool is_return_address) override {
    const std::vector<SourceFrame>& frames =
        FakeSymbolSource::Symbolize(module, address, is_return_address);
    ++done;
    return frames;
  }
  // Waits up to 10 s for `count` lookups.
  void WaitFor(int count) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (done < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  std::atomic<int> done = 0;
};

// The warmer loads each node's module (that of the node's epoch) off the
// calling thread; the symbolizer then finds those modules registered and
// gives the frames it would have computed.
TEST(SymbolWarmerTest, LoadsTheModuleOfEachNodesEpochAhead) {
  ModuleMap map;
  ASSERT_NO_FATAL_FAILURE(LoadProgramAndTwoLibrariesAtOneAddress(map));
  const StackNodesRecord record{1,
                                {{0, 0, 0x40'0100},
                                 {1, 0, 0x7000'1100},
                                 {1, 1, 0x7000'1100},
                                 {1, 0, 0x9999}}};  // in no module
  StackTree tree;
  ASSERT_TRUE(tree.Add(record).ok());
  CountingSource symbols;
  symbols.Set("/lib/a.so", 0x7000'1100, {Frame("a_func", "a.cc", 7, "/lib/a.so")});
  symbols.Set("/lib/b.so", 0x7000'1100, {Frame("b_func", "b.cc", 1, "/lib/b.so")});

  SymbolWarmer warmer(symbols);
  warmer.Add(record, map);
  symbols.WaitFor(3);
  absl::flat_hash_map<size_t, size_t> loaded = warmer.Stop();
  ASSERT_EQ(symbols.done, 3);
  ASSERT_EQ(loaded.size(), 3u);  // module map indices 0, 1, 2
  for (const auto& [module, source] : loaded) {
    EXPECT_EQ(symbols.modules_.at(source).path, map.modules()[module].info.path);
  }

  const PythonCodeTable python;
  StackSymbolizer symbolizer(tree, map, python, symbols, nullptr,
                             std::move(loaded));
  EXPECT_EQ(symbolizer.Frames(2)[0]->function, "a_func");
  EXPECT_EQ(symbolizer.Frames(3)[0]->function, "b_func");
  EXPECT_EQ(symbolizer.Frames(4)[0]->function, "0x9999");
  EXPECT_EQ(symbols.modules_.size(), 3u);  // none registered twice
}

// A round's stack nodes may come before its module records: the nodes wait
// for their module, which is loaded (one lookup) once it is known.
TEST(SymbolWarmerTest, NodesBeforeTheirModuleLoadItWhenItIsKnown) {
  ModuleMap map;
  const StackNodesRecord record{1, {{0, 0, 0x40'0100}, {1, 0, 0x40'0200}}};
  CountingSource symbols;
  SymbolWarmer warmer(symbols);
  warmer.Add(record, map);  // no module yet
  ModuleLoadRecord exe = Load(1, 0, "/bin/prog", 0x40'0000, 0, 0x5000);
  ASSERT_TRUE(map.Load(exe).ok());
  warmer.ModulesLoaded(map);
  symbols.WaitFor(1);
  const absl::flat_hash_map<size_t, size_t> loaded = warmer.Stop();
  EXPECT_EQ(symbols.done, 1);  // one address per module
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(symbols.modules_.at(loaded.at(0)).path, "/bin/prog");
}

}  // namespace
}  // namespace heaptrail::analyzer
