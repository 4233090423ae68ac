// libheaptrail.so exports exactly what libheaptrail.map lists: the hooks and
// the C API, nothing of the recorder's internals; and none of its globals is
// constructed or destroyed at run time.

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

// The names `nm FLAGS` lists for `library`.
std::set<std::string> SymbolNames(const std::string& library, const std::string& flags) {
  std::set<std::string> names;
  FILE* pipe = popen(("nm " + flags + " '" + library + "'").c_str(), "r");
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
  std::set<std::string> exported = SymbolNames(HEAPTRAIL_PRELOAD_PATH, "-D --defined-only -C");
  ASSERT_GT(expected.size(), 40u);
  EXPECT_EQ(exported, expected);
}

// Other libraries' destructors run after the library's own and free: the
// recorder must still work then, so no global may have a destructor (nor a
// constructor, which would run after the first allocations). The compiler
// emits a _GLOBAL__sub_I_ function for every file that has either.
TEST(ExportedSymbolsTest, NoGlobalIsConstructedOrDestroyedAtRunTime) {
  std::set<std::string> names = SymbolNames(HEAPTRAIL_PRELOAD_PATH, "--defined-only");
  ASSERT_GT(names.size(), 100u) << "the symbol table is needed (not stripped)";
  for (const std::string& name : names) {
    EXPECT_EQ(name.find("_GLOBAL__sub_I"), std::string::npos) << name;
  }
}

}  // namespace
