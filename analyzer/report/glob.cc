// Glob matching with one backtrack point (see glob.h).

#include "report/glob.h"

namespace heaptrail::analyzer {

bool GlobMatches(std::string_view pattern, std::string_view text) {
  // Iterative matching with one backtrack point: the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace heaptrail::analyzer
