// Python programs' stacks: their .py frames, named as Python names them,
// between the native frames, under every interpreter the machine has
// (Debian's 3.11 always; pyenv's 3.11, 3.12 and 3.13 when installed).
//
// samples/python/frames.py runs under `heaptrail run` (PYTHONMALLOC=malloc:
// each object a block). Its figures, exact: bytearray(n) is a 56-byte
// object and an (n + 1)-byte buffer, so 57 bytes more than asked for, in two
// blocks.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

using nlohmann::json;

constexpr char kSample[] = "python/frames.py";

int64_t ByteArray(int64_t size) { return size + 57; }

// Debian's interpreter and pyenv's 3.11+ ones, by name ("3.12.1").
std::vector<std::string> Interpreters() {
  std::vector<std::string> found = {"system"};
  const char* home = getenv("HOME");
  const std::string versions = std::string(home ? home : "/root") + "/.pyenv/versions";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(versions, error)) {
    const std::string name = entry.path().filename().string();
    if ((name.starts_with("3.11.") || name.starts_with("3.12.") || name.starts_with("3.13.")) &&
        std::filesystem::exists(entry.path() / "bin/python3")) {
      found.push_back(name);
    }
  }
  return found;
}

// "3.12.1" -> "3_12_1".
std::string InterpreterTestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) c = isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

std::string InterpreterPath(const std::string& name) {
  if (name == "system") return "/usr/bin/python3";
  const char* home = getenv("HOME");
  return std::string(home ? home : "/root") + "/.pyenv/versions/" + name + "/bin/python3";
}

// The site of `report` at the sample's line marked `marker`, in Python
// function `function`.
json PythonSite(const json& report, const std::string& marker, const std::string& function) {
  const int line = LineOf(kSample, marker);
  for (const json& site : report["sites"]) {
    if (site.value("line", 0) == line && site.value("function", "") == function &&
        site.value("python", false) && site.value("file", "").ends_with("frames.py")) {
      return site;
    }
  }
  ADD_FAILURE() << "no site " << function << " at " << marker << " (line " << line << ")";
  return json::object({{"size", -1}, {"count", -1}});
}

SiteTotals Totals(const json& site) {
  return {site["size"].get<int64_t>(), site["count"].get<int64_t>()};
}

class PythonFramesTest : public TempDirTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (GetParam() == "system" && !std::filesystem::exists("/usr/bin/python3")) {
      GTEST_FAIL() << "Debian's /usr/bin/python3 (3.11) is required";
    }
    trace_ = dir_ + "/frames.trace";
    ProcessResult run = RunUnderCli({InterpreterPath(GetParam()), SamplesSourceDir() + "/" + kSample},
                                    trace_);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ASSERT_EQ(run.out, "kept 50 3\n");
    EXPECT_EQ(run.err.find("layout"), std::string::npos) << run.err;
  }
  std::string trace_;
};

TEST_P(PythonFramesTest, LeakLineWithItsFunctionAndBytes) {
  const json end = Report(trace_, {"--at", "end", "--by", "line"});
  EXPECT_EQ(Totals(PythonSite(end, "LEAK", "load")), (SiteTotals{50 * ByteArray(100000), 100}));
  // The site's stack goes on with the Python caller, then the interpreter.
  const json stack = PythonSite(end, "LEAK", "load")["stack"];
  ASSERT_GE(stack.size(), 3u);
  EXPECT_EQ(stack[1]["function"], "main");
  EXPECT_EQ(stack[2]["function"], "<module>");
}

TEST_P(PythonFramesTest, TemporariesAreNotLiveAtTheEnd) {
  const int line = LineOf(kSample, "TEMPORARY");
  EXPECT_EQ(SiteAt(Report(trace_, {"--at", "end"}), "frames.py", line), (SiteTotals{0, 0}));
  // Each buffer is freed right after it is made (its object is not: the
  // buffer's allocation came between).
  bool found = false;
  const json report = Report(trace_);
  for (const json& site : report["temporary"]) {
    if (site.value("line", 0) != line || !site.value("file", "").ends_with("frames.py")) continue;
    EXPECT_EQ(site["function"], "churn");
    EXPECT_EQ(site["count"], 1000);
    found = true;
  }
  EXPECT_TRUE(found);
}

TEST_P(PythonFramesTest, EachThreadsLine) {
  const json end = Report(trace_, {"--at", "end", "--by", "line"});
  EXPECT_EQ(Totals(PythonSite(end, "THREAD", "worker")), (SiteTotals{40 * ByteArray(20000), 80}));
}

TEST_P(PythonFramesTest, SnapshotsTheirDiffAndGrowth) {
  ASSERT_EQ(Snapshots(trace_).size(), 3u);
  const int64_t blocks_at[] = {25, 40, 50};
  for (int id = 1; id <= 3; ++id) {
    EXPECT_EQ(Totals(PythonSite(Report(trace_, {"--at", std::to_string(id)}), "LEAK", "load")),
              (SiteTotals{blocks_at[id - 1] * ByteArray(100000), 2 * blocks_at[id - 1]}));
  }
  const json diff = RunJson({CliPath(), "diff", trace_, "--from", "1", "--to", "3", "--format",
                             "json", "--top", "0"});
  const json grown = PythonSite(diff, "LEAK", "load");
  EXPECT_EQ(grown["size_diff"], 25 * ByteArray(100000));
  EXPECT_EQ(grown["count_diff"], 50);
  // It grew in both intervals: the growth suspect, by its Python line.
  const json growth = RunJson({CliPath(), "growth", trace_, "--format", "json"});
  ASSERT_FALSE(growth["suspects"].empty()) << growth.dump();
  const json& suspect = growth["suspects"][0];
  EXPECT_EQ(suspect["function"], "load");
  EXPECT_EQ(suspect["line"], LineOf(kSample, "LEAK"));
  EXPECT_EQ(suspect["growth"], 25 * ByteArray(100000));
}

// libc's malloc called through ctypes: the site is the native frame that
// called malloc (libffi's), and its stack goes on through _ctypes to the
// Python line.
TEST_P(PythonFramesTest, NativeCallUnderAPythonFrame) {
  const int line = LineOf(kSample, "CTYPES");
  int matches = 0;
  const json end = Report(trace_, {"--at", "end"});
  for (const json& site : end["sites"]) {
    if (site["size"] != 77777) continue;
    ++matches;
    EXPECT_EQ(site["count"], 1);
    EXPECT_FALSE(site.value("python", false)) << site.dump();
    bool python_caller = false, ctypes_native = false;
    for (const json& frame : site["stack"]) {
      if (frame.value("module", "").find("_ctypes") != std::string::npos) ctypes_native = true;
      if (frame.value("python", false) && frame["function"] == "native_alloc" &&
          frame["line"] == line) {
        python_caller = true;
        EXPECT_TRUE(ctypes_native) << "the Python frame comes after the native ones";
      }
    }
    EXPECT_TRUE(python_caller) << site.dump();
  }
  EXPECT_EQ(matches, 1);
}

TEST_P(PythonFramesTest, NamesAsPythonNamesThem) {
  const json end = Report(trace_, {"--at", "end", "--by", "line"});
  EXPECT_EQ(Totals(PythonSite(end, "METHOD", "Store.add")), (SiteTotals{ByteArray(3000), 2}));
  EXPECT_EQ(Totals(PythonSite(end, "CLASSMETHOD", "Store.make")),
            (SiteTotals{ByteArray(3001), 2}));
  EXPECT_EQ(Totals(PythonSite(end, "GENERATOR", "pieces")),
            (SiteTotals{ByteArray(4000) + ByteArray(4001), 4}));
  EXPECT_EQ(Totals(PythonSite(end, "LAMBDA", "main.<locals>.<lambda>")),
            (SiteTotals{ByteArray(5000), 2}));
}

// The same frames by function and by file, and in an export.
TEST_P(PythonFramesTest, DownstreamViews) {
  bool by_function = false;
  const json functions = Report(trace_, {"--at", "end", "--by", "function"});
  for (const json& site : functions["sites"]) {
    if (site["function"] == "load" && site.value("python", false)) {
      EXPECT_EQ(site["size"], 50 * ByteArray(100000));
      by_function = true;
    }
  }
  EXPECT_TRUE(by_function);
  // By file: the sample's own lines, one site.
  bool by_file = false;
  const json files = Report(trace_, {"--at", "end", "--by", "file"});
  for (const json& site : files["sites"]) {
    if (site.value("file", "").ends_with("frames.py")) by_file = true;
  }
  EXPECT_TRUE(by_file);
  // Cumulative: main() holds what load() and everything it called holds.
  const json cumulative = Report(trace_, {"--at", "end", "--by", "function", "--cumulative"});
  bool main_found = false;
  for (const json& site : cumulative["sites"]) {
    if (site["function"] == "main" && site.value("file", "").ends_with("frames.py")) {
      EXPECT_GE(site["size"].get<int64_t>(), 50 * ByteArray(100000) + ByteArray(3000));
      main_found = true;
    }
  }
  EXPECT_TRUE(main_found);
  // By stack: the leak's two call sites in main() are two stacks.
  int load_stacks = 0;
  const json stacks = Report(trace_, {"--at", "end", "--by", "stack"});
  for (const json& site : stacks["sites"]) load_stacks += site["function"] == "load";
  EXPECT_EQ(load_stacks, 3);
  const std::string html = dir_ + "/frames.html";
  ASSERT_EQ(RunProcess({CliPath(), "html", trace_, "-o", html}).exit_code, 0);
  EXPECT_NE(ReadFile(html).find("main.<locals>.<lambda>"), std::string::npos);
  const std::string collapsed = dir_ + "/frames.collapsed";
  ProcessResult run = RunProcess(
      {CliPath(), "export", trace_, "--format", "collapsed", "--at", "end", "-o", collapsed});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string sample = SamplesSourceDir() + "/" + kSample;
  EXPECT_NE(ReadFile(collapsed).find("main (" + sample + ");load (" + sample + ") " +
                                     std::to_string(50 * ByteArray(100000)) + "\n"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonFramesTest, ::testing::ValuesIn(Interpreters()),
                         InterpreterTestName);

// Code objects that reuse a freed one's address (and its line table's) keep
// their own lines; a recursion deeper than the depth limit keeps its
// innermost frames. With pymalloc, whose reuse of addresses is the most
// eager, and without.
class PythonEdgeCasesTest : public TempDirTest,
                            public ::testing::WithParamInterface<std::string> {};

TEST_P(PythonEdgeCasesTest, ReusedCodeAddressesAndDeepRecursion) {
  for (const bool pymalloc : {false, true}) {
    SCOPED_TRACE(pymalloc ? "pymalloc" : "PYTHONMALLOC=malloc");
    const std::string trace = dir_ + (pymalloc ? "/pymalloc.trace" : "/malloc.trace");
    std::vector<std::string> argv = {CliPath(), "run", "-o", trace};
    if (pymalloc) argv.push_back("--pymalloc");
    argv.insert(argv.end(), {"--", InterpreterPath(GetParam()),
                             SamplesSourceDir() + "/python/edge_cases.py"});
    ProcessResult run = RunProcess(argv);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ASSERT_EQ(run.out, "kept 9\n");
    // A bytearray is one block under pymalloc (its object hides in an arena).
    const int64_t object = pymalloc ? 0 : 56, blocks = pymalloc ? 1 : 2;
    const json end = Report(trace, {"--at", "end", "--by", "line"});
    for (int line = 2; line <= 9; ++line) {
      SCOPED_TRACE("gen.py:" + std::to_string(line));
      EXPECT_EQ(SiteAt(end, "gen.py", line), (SiteTotals{100001 + object, blocks}));
    }
    const int deep = LineOf("python/edge_cases.py", "DEEP");
    EXPECT_EQ(SiteAt(end, "edge_cases.py", deep), (SiteTotals{123457 + object, blocks}));
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonEdgeCasesTest, ::testing::ValuesIn(Interpreters()),
                         InterpreterTestName);

// An interpreter whose frame layout is not known (before 3.11): native
// frames only, said once on stderr, the program unharmed.
TEST(PythonUnknownVersionTest, NativeFramesOnlyAndSaidOnce) {
  const char* home = getenv("HOME");
  std::string found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(home ? home : "/root") + "/.pyenv/versions", error)) {
    if (entry.path().filename().string().starts_with("3.10.")) found = entry.path() / "bin/python3";
  }
  if (found.empty()) GTEST_SKIP() << "no CPython 3.10 under ~/.pyenv/versions";
  const std::string dir = ::testing::TempDir() + "/heaptrail_python310";
  std::filesystem::create_directories(dir);
  const std::string trace = dir + "/old.trace";
  ProcessResult run = RunUnderCli({found, "-c", "print(len(bytearray(100000)))"}, trace);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "100000\n");
  EXPECT_EQ(Occurrences(run.err, "its frame layout is not known"), 1u) << run.err;
  const json report = Report(trace);
  for (const json& site : report["sites"]) EXPECT_FALSE(site.value("python", false));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace heaptrail::testing
