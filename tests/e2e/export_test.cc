// End to end: `heaptrail export` of the samples, read back by the real
// consumers where there is one (`go tool pprof`, valgrind's `ms_print`) and
// checked against the exact numbers of the samples' sources and of
// `heaptrail report`. Tests that need `go` or `ms_print` skip, saying so,
// when it is not installed (scripts/setup.sh installs both).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "tracing.h"

namespace heaptrail::testing {
namespace {

using nlohmann::json;


std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class ExportTest : public TempDirTest {
 protected:
  std::string Trace(const std::string& sample) {
    const std::string trace = dir_ + "/" + sample + ".trace";
    ProcessResult run = RunUnderCli({SamplesDir() + "/" + sample}, trace);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return trace;
  }

  // Exports `trace`; returns the file's path.
  std::string Export(const std::string& trace, const std::string& format,
                     const std::string& at, const std::string& name) {
    const std::string out = dir_ + "/" + name;
    ProcessResult result =
        RunProcess({CliPath(), "export", trace, "--format", format, "--at", at, "-o", out});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "");
    return out;
  }

  // `go tool pprof ARGS`, with a private HOME (pprof writes there).
  ProcessResult Pprof(std::vector<std::string> args) {
    args.insert(args.begin(), {"go", "tool", "pprof"});
    return RunProcess(args, {"HOME=" + dir_, "GOCACHE=" + dir_ + "/gocache"});
  }
};

// "a;b;c 123" lines: their values by stack, and their sum.
std::map<std::string, uint64_t> ParseFolded(const std::string& text, uint64_t* total) {
  std::map<std::string, uint64_t> stacks;
  *total = 0;
  for (const std::string& line : Lines(text)) {
    const size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    const uint64_t value = std::stoull(line.substr(space + 1));
    stacks[line.substr(0, space)] += value;
    *total += value;
  }
  return stacks;
}

TEST_F(ExportTest, CollapsedSumsToTheLiveHeap) {
  const std::string trace = Trace("leaks");
  const json summary = Summary(trace);
  uint64_t total = 0;
  auto stacks = ParseFolded(ReadFile(Export(trace, "collapsed", "end", "end.folded")), &total);
  EXPECT_EQ(total, summary["leaked_bytes"].get<uint64_t>());
  EXPECT_EQ(stacks["_start;__libc_start_main_impl;__libc_start_call_main;main;leak_small_blocks"],
            1000u);
  EXPECT_EQ(stacks["_start;__libc_start_main_impl;__libc_start_call_main;main;duplicate"], 24u);
  // main's own leaks: calloc(4, 256) and the realloc'ed 4096 bytes.
  EXPECT_EQ(stacks["_start;__libc_start_main_impl;__libc_start_call_main;main"], 1024u + 4096u);

  ParseFolded(ReadFile(Export(trace, "collapsed", "peak", "peak.folded")), &total);
  EXPECT_EQ(total, summary["peak_bytes"].get<uint64_t>());
  ParseFolded(ReadFile(Export(trace, "collapsed", "start", "start.folded")), &total);
  EXPECT_EQ(total, 0u);
}

TEST_F(ExportTest, SpeedscopeFollowsTheFileFormatWithExactWeights) {
  const std::string trace = Trace("leaks");
  const json summary = Summary(trace);
  const json file = json::parse(ReadFile(Export(trace, "speedscope", "end", "end.speedscope.json")));
  EXPECT_EQ(file["$schema"], "https://www.speedscope.app/file-format-schema.json");
  EXPECT_EQ(file["exporter"], "heaptrail");
  EXPECT_EQ(file["activeProfileIndex"], 0);
  const json& frames = file["shared"]["frames"];
  ASSERT_TRUE(frames.is_array());
  ASSERT_EQ(file["profiles"].size(), 2u);
  const uint64_t expected[] = {summary["leaked_bytes"].get<uint64_t>(),
                               summary["leaked_blocks"].get<uint64_t>()};
  const char* units[] = {"bytes", "none"};
  for (size_t p = 0; p < 2; ++p) {
    const json& profile = file["profiles"][p];
    EXPECT_EQ(profile["type"], "sampled");
    EXPECT_EQ(profile["unit"], units[p]);
    EXPECT_EQ(profile["startValue"], 0);
    ASSERT_EQ(profile["samples"].size(), profile["weights"].size());
    uint64_t sum = 0;
    for (const json& weight : profile["weights"]) sum += weight.get<uint64_t>();
    EXPECT_EQ(sum, expected[p]);
    EXPECT_EQ(profile["endValue"].get<uint64_t>(), expected[p]);
  }
  // The leak_small_blocks sample: its innermost frame, with file and line.
  const json& bytes = file["profiles"][0];
  bool found = false;
  for (size_t i = 0; i < bytes["samples"].size(); ++i) {
    const json& sample = bytes["samples"][i];
    for (const json& index : sample) ASSERT_LT(index.get<size_t>(), frames.size());
    const json& leaf = frames[sample.back().get<size_t>()];
    if (leaf["name"] != "leak_small_blocks") continue;
    found = true;
    EXPECT_EQ(bytes["weights"][i], 1000);
    EXPECT_EQ(file["profiles"][1]["weights"][i], 10);
    EXPECT_EQ(leaf["line"], 20);
    EXPECT_TRUE(leaf["file"].get<std::string>().ends_with("samples/leaks.c"));
    EXPECT_EQ(frames[sample.front().get<size_t>()]["name"], "_start");
  }
  EXPECT_TRUE(found);
}

TEST_F(ExportTest, PprofTopShowsTheExactLeakedBytesOfALine) {
  if (!InPath("go")) GTEST_SKIP() << "go is not installed (Debian: golang-go)";
  const std::string trace = Trace("leaks");
  const json summary = Summary(trace);
  const std::string profile = Export(trace, "pprof", "end", "end.pb.gz");
  EXPECT_EQ(ReadFile(profile).substr(0, 2), "\x1f\x8b");  // gzip

  ProcessResult top = Pprof({"-top", "-lines", "-unit=B", "-nodefraction=0",
                             "-sample_index=inuse_space", profile});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.out.find("File: leaks"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("Total samples = " + std::to_string(summary["leaked_bytes"].get<uint64_t>()) +
                         "B"),
            std::string::npos)
      << top.out;
  bool found = false;
  for (const std::string& line : Lines(top.out)) {
    if (line.find("leak_small_blocks") == std::string::npos) continue;
    found = true;
    std::stringstream fields(line);
    std::string flat;
    fields >> flat;
    EXPECT_EQ(flat, "1000B") << line;
    EXPECT_TRUE(line.ends_with("samples/leaks.c:20")) << line;
  }
  EXPECT_TRUE(found) << top.out;

  // Every allocation of the run, in alloc_space.
  ProcessResult alloc = Pprof({"-top", "-unit=B", "-sample_index=alloc_space", profile});
  ASSERT_EQ(alloc.exit_code, 0) << alloc.err;
  EXPECT_NE(alloc.out.find("Total samples = " +
                           std::to_string(summary["allocated_bytes"].get<uint64_t>()) + "B"),
            std::string::npos)
      << alloc.out;

  // Inlined frames, mappings and build-ids come through.
  ProcessResult raw = Pprof({"-raw", profile});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_NE(raw.out.find("[FN][FL][LN][IN]"), std::string::npos) << raw.out;
}

TEST_F(ExportTest, PprofDiffBaseBetweenTwoSnapshots) {
  if (!InPath("go")) GTEST_SKIP() << "go is not installed (Debian: golang-go)";
  // snapshots.c: 10 bytes live at snapshot 1; malloc(20) at line 18 then
  // snapshot 2.
  const std::string trace = Trace("snapshots");
  const std::string first = Export(trace, "pprof", "1", "first.pb.gz");
  const std::string second = Export(trace, "pprof", "2", "second.pb.gz");
  ProcessResult diff = Pprof({"-top", "-lines", "-unit=B", "-nodefraction=0",
                              "-sample_index=inuse_space", "-diff_base", first, second});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  int changed = 0;
  for (const std::string& line : Lines(diff.out)) {
    std::stringstream fields(line);
    std::string flat;
    fields >> flat;
    if (flat == "0" || !flat.ends_with("B") || line.find('%') == std::string::npos) continue;
    ++changed;
    EXPECT_EQ(flat, "20B") << line;
    EXPECT_TRUE(line.ends_with("samples/snapshots.c:18")) << line;
  }
  EXPECT_EQ(changed, 1) << diff.out;
}

TEST_F(ExportTest, MassifIsReadByMsPrint) {
  if (!InPath("ms_print")) GTEST_SKIP() << "ms_print is not installed (Debian: valgrind)";
  const std::string trace = Trace("leaks");
  const json summary = Summary(trace);
  const std::string massif = Export(trace, "massif", "peak", "massif.out");
  ProcessResult print = RunProcess({"ms_print", "--threshold=0", massif});
  ASSERT_EQ(print.exit_code, 0) << print.err;
  // ms_print's byte counts have thousands separators.
  const auto commas = [](uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };
  const std::string peak = commas(summary["peak_bytes"].get<uint64_t>());
  const std::string leaked = commas(summary["leaked_bytes"].get<uint64_t>());
  EXPECT_NE(print.out.find("100.00% (" + peak + "B) (heap allocation functions)"),
            std::string::npos)
      << print.out;
  EXPECT_NE(print.out.find("100.00% (" + leaked + "B) (heap allocation functions)"),
            std::string::npos)
      << print.out;
  EXPECT_NE(print.out.find("(peak)"), std::string::npos) << print.out;
  EXPECT_NE(print.out.find("(1,048,576B) 0x"), std::string::npos) << print.out;
  EXPECT_NE(print.out.find("(1,000B) 0x"), std::string::npos) << print.out;
  EXPECT_NE(print.out.find(": leak_small_blocks ("), std::string::npos) << print.out;
}

TEST_F(ExportTest, BadInputIsOneErrorLine) {
  const std::string junk = dir_ + "/junk.trace";
  std::ofstream(junk) << "not a trace";
  for (const char* format : {"pprof", "collapsed", "speedscope", "massif"}) {
    ProcessResult result =
        RunProcess({CliPath(), "export", junk, "--format", format, "-o", dir_ + "/out"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(Lines(result.err).size(), 1u) << result.err;
    EXPECT_TRUE(result.err.starts_with("heaptrail: error: ")) << result.err;
  }
  ProcessResult html = RunProcess({CliPath(), "html", junk, "-o", dir_ + "/out.html"});
  EXPECT_NE(html.exit_code, 0);
  EXPECT_EQ(Lines(html.err).size(), 1u) << html.err;

  const std::string trace = Trace("leaks");
  ProcessResult no_snapshot =
      RunProcess({CliPath(), "export", trace, "--format", "collapsed", "--at", "3", "-o",
                  dir_ + "/x"});
  EXPECT_NE(no_snapshot.exit_code, 0);
  EXPECT_NE(no_snapshot.err.find("no snapshot 3"), std::string::npos) << no_snapshot.err;
  ProcessResult unwritable = RunProcess(
      {CliPath(), "export", trace, "--format", "collapsed", "-o", dir_ + "/no/such/dir/x"});
  EXPECT_NE(unwritable.exit_code, 0);
  EXPECT_NE(unwritable.err.find("cannot write"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace heaptrail::testing
