// Python frames through StackSymbolizer: one SourceFrame per Python node
// from the code table, the interpreter's module by epoch, placeholders for
// unknown code ids, interpreter frames told apart, Prefetch leaving Python
// nodes alone.

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "heaptrail/trace_format.h"
#include "symbolize/fake_symbol_source.h"
#include "symbolize/stack_symbolizer.h"
#include "trace/module_map.h"
#include "trace/python_code_table.h"
#include "trace/stack_tree.h"
#include "trace/trace_builder.h"

namespace heaptrail::analyzer {
namespace {

using format::MakePythonFrameIp;
using testing::FakeSymbolSource;
using testing::Frame;
using testing::TraceBuilder;

constexpr char kPython[] = "/usr/bin/python3.11";
constexpr char kExtension[] = "/usr/lib/python3/dist-packages/_ext.so";
constexpr uint64_t kPythonBias = 0x40'0000;
constexpr uint64_t kRuntime = kPythonBias + 0x2'1000;  // in the data segment

ModuleLoadRecord Load(uint64_t id, uint32_t epoch, std::string path,
                      uint64_t bias, std::vector<Segment> segments) {
  ModuleLoadRecord record;
  record.module_id = id;
  record.epoch = epoch;
  record.info.path = std::move(path);
  record.info.load_bias = bias;
  record.info.segments = std::move(segments);
  return record;
}

// The code object `load` of leaky.py, from line 3:
//   offsets 0..3 line 4, 4..11 line 5, 12..13 no line.
PythonCodeRecord LoadCode() {
  const std::string table = TraceBuilder::PythonLineTable(
      {{2, 1}, {4, 1}, {1, 0, /*no_location=*/true}});
  PythonCodeRecord record;
  record.code_id = 3;
  record.code.first_line = 3;
  record.code.file = "leaky.py";
  record.code.qualified_name = "Loader.load";
  record.code.line_table.assign(table.begin(), table.end());
  return record;
}

class PythonFrameSymbolizationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModuleLoadRecord python =
        Load(1, 0, kPython, kPythonBias,
             {Segment{0, 0x1'0000, 0, 5}, Segment{0x2'0000, 0x8000, 0, 6}});
    ModuleLoadRecord extension =
        Load(2, 0, kExtension, 0x7f00'0000'0000, {Segment{0, 0x1000, 0, 5}});
    ASSERT_TRUE(modules_.Load(python).ok());
    ASSERT_TRUE(modules_.Load(extension).ok());
    ASSERT_TRUE(python_.SetInterpreter({0x030b02f0, kRuntime}).ok());
    PythonCodeRecord code = LoadCode();
    ASSERT_TRUE(python_.Add(code).ok());
  }

  uint32_t Node(uint32_t parent, uint64_t ip, uint32_t epoch = 0) {
    const uint32_t id = tree_.size();
    EXPECT_TRUE(tree_.Add(StackNodesRecord{id, {{parent, epoch, ip}}}).ok());
    return id;
  }

  StackTree tree_;
  ModuleMap modules_;
  PythonCodeTable python_;
  FakeSymbolSource symbols_;
};

TEST_F(PythonFrameSymbolizationTest, APythonNodeIsOneFrameFromTheCodeTable) {
  const uint32_t native = Node(0, kPythonBias + 0x100);
  const uint32_t line5 = Node(native, MakePythonFrameIp(3, 6 + 2));
  const uint32_t not_started = Node(line5, MakePythonFrameIp(3, 0));
  const uint32_t no_line = Node(line5, MakePythonFrameIp(3, 12 + 2));
  const uint32_t past_end = Node(line5, MakePythonFrameIp(3, 40 + 2));
  StackSymbolizer symbolizer(tree_, modules_, python_, symbols_);

  const std::vector<SourceFrame>& frames = symbolizer.NodeFrames(line5);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "Loader.load");
  EXPECT_EQ(frames[0].file, "leaky.py");
  EXPECT_EQ(frames[0].line, 5u);
  EXPECT_EQ(frames[0].module, kPython);
  EXPECT_TRUE(frames[0].python);
  EXPECT_FALSE(frames[0].inlined);
  // PyCode_Addr2Line: a frame not started is at its first line; where
  // CPython has no line, neither has the frame.
  EXPECT_EQ(symbolizer.NodeFrames(not_started)[0].line, 3u);
  EXPECT_EQ(symbolizer.NodeFrames(no_line)[0].line, 0u);
  EXPECT_EQ(symbolizer.NodeFrames(no_line)[0].file, "leaky.py");
  EXPECT_EQ(symbolizer.NodeFrames(past_end)[0].line, 0u);

  const std::vector<const SourceFrame*> stack = symbolizer.Frames(line5);
  ASSERT_EQ(stack.size(), 2u);
  EXPECT_EQ(stack[0]->function, "Loader.load");
  EXPECT_FALSE(stack[1]->python);
  // Python frames are never looked up in a module.
  EXPECT_EQ(symbols_.calls, 1);
}

TEST_F(PythonFrameSymbolizationTest, AnUnknownCodeIdIsAPlaceholderNotACrash) {
  const uint32_t node = Node(0, MakePythonFrameIp(7, 10));
  const uint32_t biggest =
      Node(node, MakePythonFrameIp(format::kMaxPythonCodeId, ~0u));
  StackSymbolizer symbolizer(tree_, modules_, python_, symbols_);
  const SourceFrame& frame = symbolizer.NodeFrames(node)[0];
  EXPECT_EQ(frame.function, "<python code 7>");
  EXPECT_TRUE(frame.python);
  EXPECT_EQ(frame.file, "");
  EXPECT_EQ(frame.line, 0u);
  EXPECT_EQ(frame.module, kPython);
  EXPECT_EQ(symbolizer.NodeFrames(biggest)[0].function,
            "<python code 2147483647>");
}

TEST_F(PythonFrameSymbolizationTest, WithoutAnInterpreterFramesHaveNoModule) {
  const PythonCodeTable no_interpreter;
  const uint32_t node = Node(0, MakePythonFrameIp(3, 6 + 2));
  StackSymbolizer symbolizer(tree_, modules_, no_interpreter, symbols_);
  const SourceFrame& frame = symbolizer.NodeFrames(node)[0];
  EXPECT_EQ(frame.function, "<python code 3>");
  EXPECT_EQ(frame.module, "");
  EXPECT_FALSE(symbolizer.HasPythonFrames(node));
  EXPECT_FALSE(symbolizer.IsInterpreterFrame(
      Frame("PyByteArray_Resize", "", 0, kPython)));
}

TEST_F(PythonFrameSymbolizationTest,
       TheInterpretersModuleIsTheOneOfTheNodesEpoch) {
  // libpython dlclose'd in epoch 1 and another one mapped at its place.
  ModuleMap modules;
  ModuleLoadRecord a = Load(1, 0, "/opt/a/libpython3.12.so", kPythonBias,
                            {Segment{0x2'0000, 0x8000, 0, 6}});
  ModuleLoadRecord b = Load(2, 1, "/opt/b/libpython3.12.so", kPythonBias,
                            {Segment{0x2'0000, 0x8000, 0, 6}});
  ASSERT_TRUE(modules.Load(a).ok());
  ASSERT_TRUE(modules.Unload({1, 1}).ok());
  ASSERT_TRUE(modules.Load(b).ok());
  EXPECT_EQ(modules.FindInAnyEpoch(kRuntime), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(modules.FindInAnyEpoch(kRuntime + 0x8000).empty());

  const uint32_t early = Node(0, MakePythonFrameIp(3, 8), 0);
  const uint32_t late = Node(0, MakePythonFrameIp(3, 8), 1);
  StackSymbolizer symbolizer(tree_, modules, python_, symbols_);
  EXPECT_EQ(symbolizer.NodeFrames(early)[0].module, "/opt/a/libpython3.12.so");
  EXPECT_EQ(symbolizer.NodeFrames(late)[0].module, "/opt/b/libpython3.12.so");
  EXPECT_TRUE(symbolizer.IsInterpreterFrame(
      Frame("x", "", 0, "/opt/a/libpython3.12.so")));
  EXPECT_TRUE(symbolizer.IsInterpreterFrame(
      Frame("x", "", 0, "/opt/b/libpython3.12.so")));
}

TEST_F(PythonFrameSymbolizationTest,
       InterpreterFramesAreTheNativeFramesOfItsModule) {
  StackSymbolizer symbolizer(tree_, modules_, python_, symbols_);
  EXPECT_TRUE(symbolizer.IsInterpreterFrame(
      Frame("PyByteArray_Resize", "", 0, kPython)));
  SourceFrame python_frame = Frame("load", "leaky.py", 5, kPython);
  python_frame.python = true;
  EXPECT_FALSE(symbolizer.IsInterpreterFrame(python_frame));
  EXPECT_FALSE(symbolizer.IsInterpreterFrame(
      Frame("ext_make_buffer", "ext.c", 42, kExtension)));
  EXPECT_FALSE(symbolizer.IsInterpreterFrame(Frame("0x1234", "", 0, "")));
}

TEST_F(PythonFrameSymbolizationTest, HasPythonFramesLooksAtTheWholeStack) {
  const uint32_t native = Node(0, kPythonBias + 0x100);
  const uint32_t python = Node(native, MakePythonFrameIp(3, 8));
  const uint32_t inner = Node(python, kPythonBias + 0x200);
  const uint32_t innermost = Node(inner, kPythonBias + 0x300);
  const uint32_t other = Node(native, kPythonBias + 0x400);
  StackSymbolizer symbolizer(tree_, modules_, python_, symbols_);
  EXPECT_FALSE(symbolizer.HasPythonFrames(0));
  EXPECT_FALSE(symbolizer.HasPythonFrames(native));
  EXPECT_TRUE(symbolizer.HasPythonFrames(python));
  EXPECT_TRUE(symbolizer.HasPythonFrames(innermost));
  EXPECT_FALSE(symbolizer.HasPythonFrames(other));
  EXPECT_FALSE(symbolizer.HasPythonFrames(999));  // not in the tree
  // Nodes added later are seen too.
  const uint32_t later = Node(innermost, kPythonBias + 0x500);
  EXPECT_TRUE(symbolizer.HasPythonFrames(later));
}

TEST_F(PythonFrameSymbolizationTest, PrefetchLeavesPythonNodesToNodeFrames) {
  std::vector<uint32_t> ids;
  for (uint64_t i = 0; i < 80; ++i) {
    const uint32_t python = Node(0, MakePythonFrameIp(3, 2 * i + 2));
    ids.push_back(Node(python, 0x7f00'0000'0000 + 0x10 + i));
  }
  int sources = 0;
  std::vector<FakeSymbolSource*> made;
  StackSymbolizer symbolizer(tree_, modules_, python_, symbols_, [&made] {
    auto source = std::make_unique<FakeSymbolSource>();
    made.push_back(source.get());
    return source;
  });
  symbolizer.Prefetch(ids, 2);
  int prefetched = 0;
  for (FakeSymbolSource* source : made) {
    ++sources;
    prefetched += source->calls;
    for (const ModuleInfo& module : source->modules_) {
      EXPECT_EQ(module.path, kExtension);  // never the Python "addresses"
    }
  }
  EXPECT_EQ(sources, 2);
  EXPECT_EQ(prefetched, 80);
  for (uint64_t i = 0; i < 80; ++i) {
    const std::vector<const SourceFrame*> frames = symbolizer.Frames(ids[i]);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[1]->function, "Loader.load");
    EXPECT_EQ(frames[1]->line, i < 2 ? 4u : i < 6 ? 5u : 0u) << i;
  }
  EXPECT_EQ(symbols_.calls, 0);
}

}  // namespace
}  // namespace heaptrail::analyzer
