// Running programs under the tracker and reading their reports, for the
// end-to-end tests.

#include "tracing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

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

const std::string& SamplesSourceDir() {
  static const std::string path = HEAPTRAIL_SAMPLES_SOURCE_DIR;
  return path;
}

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

json Report(const std::string& trace, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CliPath(), "report", trace, "--format", "json", "--top", "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult report = RunProcess(argv);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  json document = json::parse(report.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(document.is_discarded()) << report.out.substr(0, 2000);
  return document.is_discarded() ? json() : document;
}

int LineOf(const std::string& source, const std::string& marker) {
  std::ifstream in(SamplesSourceDir() + "/" + source);
  std::string text;
  int found = 0;
  int matches = 0;
  for (int line = 1; std::getline(in, text); ++line) {
    // The marker as a comment after code: "// marker" or "/* marker".
    if (text.find("// " + marker) == std::string::npos &&
        text.find("/* " + marker) == std::string::npos) {
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

}  // namespace heaptrail::testing
