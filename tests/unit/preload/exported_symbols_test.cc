// libheaptrail.so exports exactly what libheaptrail.map lists: the hooks and
// the C API, nothing of the recorder's internals.

#include <gtest/gtest.h>
#include <stdio.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

std::set<std::string> NamesInVersionScript(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string script = text.str();
  // Comments out, then the part between "global:" and "local:".
  script = std::regex_replace(script, std::regex(R"(/\*[\s\S]*?\*/)"), "");
  size_t begin = script.find("global:");
  size_t end = script.find("local:");
  std::string globals = script.substr(begin + 7, end - begin - 7);
  globals = std::regex_replace(globals, std::regex(R"(extern\s*"C\+\+")"), "");
  std::set<std::string> names;
  std::smatch match;
  std::regex quoted(R"re("([^"]+)")re");
  for (auto it = std::sregex_iterator(globals.begin(), globals.end(), quoted);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  globals = std::regex_replace(globals, quoted, "");
  globals = std::regex_replace(globals, std::regex(R"([{}])"), "");
  std::regex plain(R"(([A-Za-z_][A-Za-z0-9_]*)\s*;)");
  for (auto it = std::sregex_iterator(globals.begin(), globals.end(), plain);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

std::set<std::string> ExportedNames(const std::string& library) {
  std::set<std::string> names;
  FILE* pipe = popen(("nm -D --defined-only -C '" + library + "'").c_str(), "r");
  if (pipe == nullptr) return names;
  char line[1024];
  while (fgets(line, sizeof(line), pipe) != nullptr) {
    std::string entry(line);
    if (!entry.empty() && entry.back() == '\n') entry.pop_back();
    // "0000000000012340 T name": the name may contain spaces.
    size_t type = entry.find(' ');
    if (type == std::string::npos || entry.size() < type + 3) continue;
    names.insert(entry.substr(type + 3));
  }
  pclose(pipe);
  return names;
}

TEST(ExportedSymbolsTest, MatchVersionScript) {
  std::set<std::string> expected = NamesInVersionScript(HEAPTRAIL_VERSION_SCRIPT);
  std::set<std::string> exported = ExportedNames(HEAPTRAIL_PRELOAD_PATH);
  ASSERT_GT(expected.size(), 40u);
  EXPECT_EQ(exported, expected);
}

}  // namespace
