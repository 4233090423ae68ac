// Running programs under the tracker and reading their reports, for the
// end-to-end tests.

#include "tracing.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

namespace heaptrail::testing {

using nlohmann::json;

const std::string& CliPath() {
  static const std::string path = HEAPTRAIL_CLI;
  return path;
}

const std::string& PreloadPath() {
  static const std::string path = HEAPTRAIL_PRELOAD;
  return path;
}

const std::string& SamplesDir() {
  static const std::string path = HEAPTRAIL_SAMPLES_DIR;
  return path;
}

const std::string& SourceDir() {
  static const std::string path = HEAPTRAIL_SOURCE_DIR;
  return path;
}

const std::string& SamplesSourceDir() {
  static const std::string path = SourceDir() + "/samples";
  return path;
}

void TempDirTest::SetUp() { dir_ = MakeTempDir(); }

void TempDirTest::TearDown() { std::filesystem::remove_all(dir_); }

ProcessResult RunUnderCli(const std::vector<std::string>& program, const std::string& trace,
                          const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv = {CliPath(), "run", "-o", trace, "--"};
  argv.insert(argv.end(), program.begin(), program.end());
  return RunProcess(argv, extra_env);
}

ProcessResult RunPreloaded(const std::vector<std::string>& program, const std::string& trace,
                           const std::vector<std::string>& extra_env) {
  std::vector<std::string> env = {"LD_PRELOAD=" + PreloadPath(), "HEAPTRAIL_OUTPUT=" + trace};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  return RunProcess(program, env);
}

json ParseJson(const ProcessResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  json document = json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(document.is_discarded()) << result.out.substr(0, 2000);
  return document.is_discarded() ? json() : document;
}

json RunJson(const std::vector<std::string>& argv) { return ParseJson(RunProcess(argv)); }

json Report(const std::string& trace, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CliPath(), "report", trace, "--format", "json", "--top", "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunJson(argv);
}

json Summary(const std::string& trace) { return Report(trace)["summary"]; }

json Snapshots(const std::string& trace) {
  return RunJson({CliPath(), "snapshots", trace, "--format", "json"})["snapshots"];
}

json BaselineSummary(const std::string& dir) {
  const std::string trace = dir + "/empty.trace";
  ProcessResult run = RunUnderCli({SamplesDir() + "/empty"}, trace);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ProcessResult report = RunProcess({CliPath(), "report", trace, "--format", "json"});
  EXPECT_EQ(report.err, "");  // complete: no warning
  std::filesystem::remove(trace);
  return ParseJson(report)["summary"];
}

json BeyondBaseline(const json& summary, const json& baseline,
                    const std::vector<std::string>& keys) {
  json difference = json::object();
  for (const std::string& key : keys) {
    difference[key] = summary.at(key).get<int64_t>() - baseline.at(key).get<int64_t>();
  }
  return difference;
}

int LineOf(const std::string& source, const std::string& marker) {
  std::ifstream in(SamplesSourceDir() + "/" + source);
  std::string text;
  int found = 0;
  int matches = 0;
  for (int line = 1; std::getline(in, text); ++line) {
    // The marker as a comment after code: "// marker" or "/* marker" (C),
    // "# marker" (Python).
    if (text.find("// " + marker) == std::string::npos &&
        text.find("/* " + marker) == std::string::npos &&
        text.find("# " + marker) == std::string::npos) {
      continue;
    }
    found = line;
    ++matches;
  }
  EXPECT_EQ(matches, 1) << marker << " in " << source;
  return found;
}

SiteTotals SiteAt(const json& report, const std::string& file_name, int line) {
  SiteTotals totals;
  if (!report.contains("sites")) return totals;
  for (const json& site : report["sites"]) {
    const std::string file = site.value("file", "");
    if (site.value("line", 0) != line || file.size() < file_name.size() ||
        file.compare(file.size() - file_name.size(), file_name.size(), file_name) != 0) {
      continue;
    }
    totals.size += site["size"].get<int64_t>();
    totals.count += site["count"].get<int64_t>();
  }
  return totals;
}

SiteTotals MarkedSite(const std::string& trace, const std::string& source,
                      const std::string& marker, const std::string& at) {
  return SiteAt(Report(trace, {"--at", at, "--by", "line"}), source, LineOf(source, marker));
}

std::vector<std::string> FilesIn(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

int64_t HeaptrackCount(const std::vector<std::string>& program, const std::string& output_prefix,
                       const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv = {"heaptrack", "-o", output_prefix};
  argv.insert(argv.end(), program.begin(), program.end());
  ProcessResult run = RunProcess(argv, extra_env);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ProcessResult print = RunProcess({"heaptrack_print", output_prefix + ".zst"});
  std::filesystem::remove(output_prefix + ".zst");
  std::smatch match;
  if (!std::regex_search(print.out, match,
                         std::regex(R"(calls to allocation functions: (\d+))"))) {
    ADD_FAILURE() << "no count in heaptrack_print's output: " << print.out.substr(0, 2000);
    return -1;
  }
  return std::stoll(match[1]);
}

bool InPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace heaptrail::testing
