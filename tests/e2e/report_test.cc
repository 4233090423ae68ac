// End to end, per line: samples with allocations at marked lines ("// @name")
// run under `heaptrail run`, and `heaptrail report --format json` must put
// the exact bytes and blocks on each file:line, show the inline chain of an
// -O2 build, the transient peak's line, and both stacks of a mismatched free.

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

using nlohmann::json;

// Line numbers of the "// @name" markers of a sample's source.
std::map<std::string, int> Markers(const std::string& source) {
  std::ifstream in(SamplesSourceDir() + "/" + source);
  EXPECT_TRUE(in) << source;
  std::map<std::string, int> lines;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    const size_t at = text.find("// @");
    if (at == std::string::npos) continue;
    const size_t end = text.find(' ', at + 4);
    lines[text.substr(at + 4, end == std::string::npos ? end : end - at - 4)] = number;
  }
  return lines;
}

bool IsIn(const json& frame, const std::string& source) {
  const std::string file = frame["file"].get<std::string>();
  return file.size() >= source.size() + 1 &&
         file.compare(file.size() - source.size() - 1, std::string::npos, "/" + source) == 0;
}

class ReportTest : public TempDirTest {
 protected:
  // Runs a sample under the tracker (with `run_options` before the program)
  // and returns its Report() with `report_options`.
  json TraceAndReport(const std::string& sample, const std::vector<std::string>& run_options,
                      const std::vector<std::string>& report_options) {
    const std::string trace = dir_ + "/" + sample + ".trace";
    std::vector<std::string> argv = {CliPath(), "run", "-o", trace};
    argv.insert(argv.end(), run_options.begin(), run_options.end());
    argv.insert(argv.end(), {"--", SamplesDir() + "/" + sample});
    const ProcessResult run = RunProcess(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, sample + ": done\n");
    return Report(trace, report_options);
  }
};

// (bytes, blocks) per line of `source` among the sites, summed over leak
// kinds (the sites of --at end are per line and kind).
std::map<int, std::pair<int64_t, int64_t>> SitesOf(const json& sites, const std::string& source) {
  std::map<int, std::pair<int64_t, int64_t>> lines;
  for (const json& site : sites) {
    if (!IsIn(site, source)) continue;
    std::pair<int64_t, int64_t>& line = lines[site["line"].get<int>()];
    line.first += site["size"].get<int64_t>();
    line.second += site["count"].get<int64_t>();
  }
  return lines;
}

TEST_F(ReportTest, LeaksOfEveryAllocationFunctionAtTheirLines) {
  const std::map<std::string, int> line = Markers("line_leaks.cc");
  const json report = TraceAndReport("line_leaks", {}, {"--at", "end", "--by", "line"});
  const std::map<int, std::pair<int64_t, int64_t>> expected = {
      {line.at("malloc"), {300, 3}},
      {line.at("calloc"), {200, 1}},
      {line.at("realloc_last"), {256, 1}},  // the chain's block moved here
      {line.at("new_array"), {48, 1}},
      {line.at("aligned_new"), {192, 1}},
      {line.at("posix_memalign"), {320, 1}},
      {line.at("aligned_alloc"), {384, 1}},
      {line.at("thread"), {2048, 4}},  // four threads, one line
  };
  EXPECT_EQ(SitesOf(report["sites"], "line_leaks.cc"), expected) << report["sites"].dump(1);
}

// glibc's debug file, compressed as Debian ships it, is inflated into the
// cache by the first report and read from it by the next; the frames are the
// same either way, and without a cache.
TEST_F(ReportTest, DebugInfoIsKeptInflatedBetweenReports) {
  const std::string trace = dir_ + "/line_leaks.trace";
  const ProcessResult run = RunProcess(
      {CliPath(), "run", "-o", trace, "--", SamplesDir() + "/line_leaks"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string cache = dir_ + "/cache";
  const auto report = [&](const std::string& cache_dir) {
    const ProcessResult result =
        RunProcess({CliPath(), "report", trace, "--format", "json", "--by", "stack"},
                   {"HEAPTRAIL_CACHE_DIR=" + cache_dir});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  };
  const auto entries = [&] {
    std::vector<std::pair<std::string, uint64_t>> names;  // with inodes
    if (!std::filesystem::exists(cache + "/debuginfo")) return names;
    for (const auto& entry : std::filesystem::directory_iterator(cache + "/debuginfo")) {
      struct stat st;
      stat(entry.path().c_str(), &st);
      names.emplace_back(entry.path().filename(), st.st_ino);
    }
    std::sort(names.begin(), names.end());
    return names;
  };

  const std::string first = report(cache);
  const auto stored = entries();
  ASSERT_FALSE(stored.empty()) << "no debug file inflated (is libc6-dbg installed?)";
  EXPECT_NE(first.find("libc-start.c"), std::string::npos) << first;
  EXPECT_EQ(report(cache), first);
  EXPECT_EQ(entries(), stored);  // read, not written again
  EXPECT_EQ(report(""), first);
  EXPECT_EQ(entries(), stored);
}

TEST_F(ReportTest, TransientPeakAttributedToItsLine) {
  const std::map<std::string, int> line = Markers("line_leaks.cc");
  const json report = TraceAndReport("line_leaks", {}, {"--at", "peak", "--by", "line"});
  EXPECT_EQ(report["at"], "peak");
  const std::map<int, std::pair<int64_t, int64_t>> sites =
      SitesOf(report["sites"], "line_leaks.cc");
  ASSERT_TRUE(sites.contains(line.at("peak"))) << report["sites"].dump(1);
  EXPECT_EQ(sites.at(line.at("peak")), (std::pair<int64_t, int64_t>{8 << 20, 1}));
  // The peak is that block plus what was live then: the leaks came before.
  EXPECT_EQ(sites.at(line.at("thread")), (std::pair<int64_t, int64_t>{2048, 4}));
  EXPECT_EQ(report["sites"][0]["line"], line.at("peak"));
}

TEST_F(ReportTest, InlineChainOfAnO2Build) {
  const std::map<std::string, int> line = Markers("inlined_alloc.cc");
  const json report = TraceAndReport("inlined_alloc", {}, {"--at", "end", "--by", "line"});
  const json* site = nullptr;
  for (const json& candidate : report["sites"]) {
    if (IsIn(candidate, "inlined_alloc.cc")) site = &candidate;
  }
  ASSERT_NE(site, nullptr) << report.dump(1);
  EXPECT_EQ((*site)["size"], 1000);
  EXPECT_EQ((*site)["count"], 1);
  const json& stack = (*site)["stack"];
  ASSERT_GE(stack.size(), 3u) << stack.dump(1);
  const std::vector<std::pair<std::string, int>> expected = {
      {"(anonymous namespace)::MakeTable", line.at("inner")},
      {"(anonymous namespace)::MakeTables", line.at("middle")},
      {"main", line.at("outer")},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(stack[i]["function"], expected[i].first) << i;
    EXPECT_TRUE(IsIn(stack[i], "inlined_alloc.cc")) << stack[i].dump();
    EXPECT_EQ(stack[i]["line"], expected[i].second) << i;
  }
}

// A block allocated through a wrapper belongs to the wrapper's caller:
// xmalloc is on the built-in list; my_alloc becomes a wrapper with
// --alloc-fn, on every command that groups sites (here report, export and
// check, which share the option).
TEST_F(ReportTest, AllocationWrappersCreditTheirCallers) {
  const std::string trace = dir_ + "/alloc_wrappers.trace";
  TraceAndReport("alloc_wrappers", {}, {});
  auto line = [](const char* marker) { return LineOf("alloc_wrappers.c", marker); };
  json plain = Report(trace, {"--at", "end", "--by", "line"});
  EXPECT_EQ(SitesOf(plain["sites"], "alloc_wrappers.c"),
            (std::map<int, std::pair<int64_t, int64_t>>{
                {line("xmalloc-first-caller"), {300, 3}},
                {line("xmalloc-second-caller"), {400, 2}},
                {line("inside-my-alloc"), {200, 4}}}));
  json wrapped = Report(trace, {"--at", "end", "--by", "line", "--alloc-fn", "my_alloc"});
  EXPECT_EQ(SitesOf(wrapped["sites"], "alloc_wrappers.c"),
            (std::map<int, std::pair<int64_t, int64_t>>{
                {line("xmalloc-first-caller"), {300, 3}},
                {line("xmalloc-second-caller"), {400, 2}},
                {line("my-alloc-caller"), {200, 4}}}));
  // By function, a glob.
  json functions = Report(trace, {"--at", "end", "--by", "function", "--alloc-fn", "my_*"});
  int64_t in_main = 0;
  for (const json& site : functions["sites"]) {
    if (site["function"] == "main") in_main += site["size"].get<int64_t>();
    EXPECT_NE(site["function"], "my_alloc");
    EXPECT_NE(site["function"], "xmalloc");
  }
  EXPECT_EQ(in_main, 200);
  const std::string collapsed = dir_ + "/wrapped.collapsed";
  ProcessResult exported =
      RunProcess({CliPath(), "export", trace, "--format", "collapsed", "--at", "end",
                  "--alloc-fn", "my_alloc", "-o", collapsed});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(ReadFile(collapsed).find(";my_alloc"), std::string::npos) << ReadFile(collapsed);
  EXPECT_NE(ReadFile(collapsed).find(";main "), std::string::npos) << ReadFile(collapsed);
}

TEST_F(ReportTest, MismatchedFreeWithBothStacks) {
  const std::map<std::string, int> line = Markers("mismatched_free.cc");
  const json report = TraceAndReport("mismatched_free", {"--free-stacks"}, {});
  EXPECT_EQ(report["summary"]["mismatched_frees"], 1);
  ASSERT_EQ(report["mismatches"].size(), 1u) << report.dump(1);
  const json& mismatch = report["mismatches"][0];
  EXPECT_EQ(mismatch["allocated_with"], "new[]");
  EXPECT_EQ(mismatch["released_with"], "free");
  EXPECT_EQ(mismatch["count"], 1);
  EXPECT_EQ(mismatch["size"], 120);
  EXPECT_EQ(mismatch["function"], "(anonymous namespace)::MakeBuffer");
  EXPECT_TRUE(IsIn(mismatch, "mismatched_free.cc"));
  EXPECT_EQ(mismatch["line"], line.at("allocate"));
  const json& release = mismatch["release"];
  ASSERT_TRUE(release.is_object()) << mismatch.dump(1);
  EXPECT_EQ(release["function"], "(anonymous namespace)::Release");
  EXPECT_TRUE(IsIn(release, "mismatched_free.cc"));
  EXPECT_EQ(release["line"], line.at("release"));
  ASSERT_GE(mismatch["release_stack"].size(), 2u);
  EXPECT_EQ(mismatch["release_stack"][1]["function"], "main");
  EXPECT_EQ(mismatch["release_stack"][1]["line"], line.at("call_release"));
}

TEST_F(ReportTest, MismatchedFreeWithoutReleaseStacksSaysHowToGetThem) {
  const json report = TraceAndReport("mismatched_free", {}, {});
  ASSERT_EQ(report["mismatches"].size(), 1u) << report.dump(1);
  EXPECT_TRUE(report["mismatches"][0]["release"].is_null());
  EXPECT_TRUE(report["mismatches"][0]["release_stack"].empty());
  const ProcessResult text = RunProcess({CliPath(), "report", dir_ + "/mismatched_free.trace"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("released at   (not recorded: rerun with `heaptrail run --free-stacks`)"),
            std::string::npos)
      << text.out;
}

}  // namespace
}  // namespace heaptrail::testing
