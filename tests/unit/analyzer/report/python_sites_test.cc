// Sites of a trace with Python frames (python_trace.h): located at the
// Python line, the interpreter's native frames counting as allocation
// wrappers, a C extension's frame a site of its own, the interpreter's
// start-up located as before; every grouping, with exact figures.

#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "report/python_trace.h"
#include "report/report_json.h"
#include "report/report_text.h"
#include "report/sites.h"

namespace heaptrail::analyzer {
namespace {

using testing::kPythonExe;
using testing::kPythonExtension;
using testing::kPythonLibc;
using testing::PythonTrace;

// (location as the text report shows it, bytes, blocks), in site order.
using Row = std::tuple<std::string, uint64_t, uint64_t>;

class PythonSitesTest : public testing::PythonTraceTest {
 protected:
  std::vector<Site> Sites(SiteOptions options,
                          TraceAnalysis* analysis = nullptr) {
    if (analysis == nullptr) analysis = analysis_.get();
    StackSymbolizer symbolizer(analysis->stacks, analysis->modules,
                               analysis->python, symbols_);
    return BuildSites(analysis->heap.LiveNow(), options, symbolizer);
  }

  static std::vector<Row> Rows(const std::vector<Site>& sites) {
    std::vector<Row> rows;
    for (const Site& site : sites) {
      rows.emplace_back(FormatLocation(site.location), site.size, site.count);
    }
    return rows;
  }
};

TEST_F(PythonSitesTest, TheTraceHoldsTheInterpreterAndItsCode) {
  ASSERT_NE(analysis_->python.interpreter(), nullptr);
  EXPECT_EQ(analysis_->python.interpreter()->version, 0x030b02f0u);
  EXPECT_EQ(analysis_->python.size(), 3u);
  EXPECT_EQ(analysis_->python.Find(3)->qualified_name, "load");
  EXPECT_EQ(analysis_->modules.FindInAnyEpoch(testing::kRuntimeAddress),
            (std::vector<size_t>{0}));
  EXPECT_EQ(analysis_->heap.totals().live_bytes, 105364u);
}

TEST_F(PythonSitesTest, ByLineTheInterpretersFramesAreWrappers) {
  const std::vector<Site> sites = Sites({.by = GroupBy::kLine});
  EXPECT_EQ(Rows(sites), (std::vector<Row>{
                             {"load  leaky.py:5", 100000, 1},
                             {"ext_make_buffer  ext.c:42", 5000, 1},
                             {"pymain_init (python3.11)", 300, 1},
                             {"load  leaky.py", 64, 1},
                         }));
  EXPECT_EQ(sites[0].location,
            (FrameInfo{"load", "leaky.py", 5, kPythonExe, true}));
  // The site's stack: from the Python line outwards, every frame.
  ASSERT_EQ(sites[0].stack.size(), 5u);
  EXPECT_EQ(sites[0].stack[1],
            (FrameInfo{"main", "leaky.py", 9, kPythonExe, true}));
  EXPECT_EQ(sites[0].stack[2],
            (FrameInfo{"<module>", "leaky.py", 12, kPythonExe, true}));
  EXPECT_EQ(sites[0].stack[3], (FrameInfo{"Py_BytesMain", "", 0, kPythonExe}));
  EXPECT_EQ(sites[0].stack[4],
            (FrameInfo{"__libc_start_call_main", "", 0, kPythonLibc}));
  // A C extension's frame is its own site, called from the interpreter.
  EXPECT_EQ(sites[1].location.module, kPythonExtension);
  EXPECT_EQ(sites[1].stack[1].function, "cfunction_vectorcall_O");
  EXPECT_EQ(sites[1].stack[2],
            (FrameInfo{"load", "leaky.py", 4, kPythonExe, true}));
  // No Python frame: located as before, in the interpreter.
  EXPECT_EQ(sites[2].stack.size(), 3u);
}

TEST_F(PythonSitesTest, WithoutTheInterpreterRecordItsFramesAreSites) {
  const std::unique_ptr<TraceAnalysis> analysis =
      PythonTrace::Analyze("no_interpreter", /*with_interpreter=*/false);
  ASSERT_NE(analysis, nullptr);
  EXPECT_EQ(Rows(Sites({.by = GroupBy::kLine}, analysis.get())),
            (std::vector<Row>{
                {"PyByteArray_Resize (python3.11)", 100064, 2},
                {"ext_make_buffer  ext.c:42", 5000, 1},
                {"pymain_init (python3.11)", 300, 1},
            }));
}

TEST_F(PythonSitesTest, ByFunctionAndByFile) {
  EXPECT_EQ(Rows(Sites({.by = GroupBy::kFunction})),
            (std::vector<Row>{
                {"load  leaky.py", 100064, 2},
                {"ext_make_buffer  ext.c", 5000, 1},
                {"pymain_init (python3.11)", 300, 1},
            }));
  const std::vector<Site> by_file = Sites({.by = GroupBy::kFile});
  EXPECT_EQ(Rows(by_file), (std::vector<Row>{
                               {"leaky.py", 100064, 2},
                               {"ext.c", 5000, 1},
                               {"(python3.11)", 300, 1},
                           }));
  EXPECT_TRUE(by_file[0].location.python);
}

TEST_F(PythonSitesTest, ByStackKeepsEveryFrameFromTheSiteOutwards) {
  const std::vector<Site> sites = Sites({.by = GroupBy::kStack});
  ASSERT_EQ(sites.size(), 4u);
  std::vector<std::string> extension_stack;
  for (const FrameInfo& frame : sites[1].stack) {
    extension_stack.push_back(FormatLocation(frame));
  }
  EXPECT_EQ(extension_stack, (std::vector<std::string>{
                                 "ext_make_buffer  ext.c:42",
                                 "cfunction_vectorcall_O (python3.11)",
                                 "load  leaky.py:4",
                                 "main  leaky.py:9",
                                 "<module>  leaky.py:12",
                                 "Py_BytesMain (python3.11)",
                                 "__libc_start_call_main (libc.so.6)",
                             }));
  EXPECT_EQ(sites[0].size, 100000u);
  EXPECT_EQ(sites[0].stack.size(), 5u);
  EXPECT_EQ(sites[3].location,
            (FrameInfo{"load", "leaky.py", 0, kPythonExe, true}));
}

TEST_F(PythonSitesTest, CumulativeCreditsPythonAndInterpreterFrames) {
  EXPECT_EQ(Rows(Sites({.by = GroupBy::kFunction, .cumulative = true})),
            (std::vector<Row>{
                {"Py_BytesMain (python3.11)", 105364, 4},
                {"__libc_start_call_main (libc.so.6)", 105364, 4},
                {"<module>  leaky.py", 105064, 3},
                {"load  leaky.py", 105064, 3},
                {"main  leaky.py", 105064, 3},
                {"cfunction_vectorcall_O (python3.11)", 5000, 1},
                {"ext_make_buffer  ext.c", 5000, 1},
                {"pymain_init (python3.11)", 300, 1},
            }));
}

TEST_F(PythonSitesTest, AllocFnPatternsMatchPythonNames) {
  SetAllocationWrappers({"load"});
  const std::vector<Site> sites = Sites({.by = GroupBy::kLine});
  SetAllocationWrappers({});
  // load() is a wrapper now: its blocks go to its caller. The extension's
  // frame is still its own site.
  EXPECT_EQ(Rows(sites), (std::vector<Row>{
                             {"main  leaky.py:9", 100064, 2},
                             {"ext_make_buffer  ext.c:42", 5000, 1},
                             {"pymain_init (python3.11)", 300, 1},
                         }));
}

TEST_F(PythonSitesTest, JsonMarksPythonFrames) {
  const std::vector<Site> sites = Sites({.by = GroupBy::kLine});
  const nlohmann::json json = SitesToJson(sites);
  EXPECT_EQ(json[0]["function"], "load");
  EXPECT_EQ(json[0]["file"], "leaky.py");
  EXPECT_EQ(json[0]["line"], 5);
  EXPECT_EQ(json[0]["module"], kPythonExe);
  EXPECT_EQ(json[0]["python"], true);
  EXPECT_EQ(json[0]["stack"][3]["function"], "Py_BytesMain");
  EXPECT_FALSE(json[0]["stack"][3].contains("python"));
  EXPECT_FALSE(json[1].contains("python"));
}

TEST_F(PythonSitesTest, SiteLocationIndexFollowsTheSameRule) {
  StackSymbolizer symbolizer(analysis_->stacks, analysis_->modules,
                             analysis_->python, symbols_);
  EXPECT_EQ(
      SiteLocationIndex(symbolizer.Frames(PythonTrace::kBytearray), symbolizer),
      4u);
  EXPECT_EQ(
      SiteLocationIndex(symbolizer.Frames(PythonTrace::kExtension), symbolizer),
      1u);
  EXPECT_EQ(
      SiteLocationIndex(symbolizer.Frames(PythonTrace::kStartup), symbolizer),
      1u);
  const std::vector<const SourceFrame*> only_malloc = {
      symbolizer.Frames(PythonTrace::kStartup)[0]};
  EXPECT_EQ(SiteLocationIndex(only_malloc, symbolizer), 0u);
}

// "called from" beside a Python site is the next Python frame: the
// interpreter's C between two Python frames (a call through C) is skipped,
// a C extension's frame is not.
TEST(CallerOfTest, PythonSitesSkipTheInterpretersOwnFrames) {
  const FrameInfo worker{"worker", "app.py", 33, "/usr/bin/python3.11", true};
  const FrameInfo vectorcall{"_PyFunction_Vectorcall", "", 0,
                             "/usr/bin/python3.11", false};
  const FrameInfo run{"Thread.run", "threading.py", 975, "/usr/bin/python3.11",
                      true};
  const FrameInfo extension{"ext_call", "ext.c", 42, "/usr/lib/ext.so", false};
  const std::vector<FrameInfo> through_c = {worker, vectorcall, run};
  EXPECT_EQ(*CallerOf(worker, through_c), run);
  const std::vector<FrameInfo> through_extension = {worker, extension, run};
  EXPECT_EQ(*CallerOf(worker, through_extension), extension);
  // A native site keeps its next frame.
  const std::vector<FrameInfo> native = {vectorcall, run};
  EXPECT_EQ(*CallerOf(vectorcall, native), run);
  EXPECT_EQ(CallerOf(worker, std::vector<FrameInfo>{worker}), nullptr);
}

}  // namespace
}  // namespace heaptrail::analyzer
