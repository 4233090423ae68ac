// Shell-style globs for the patterns users give (suppressions, allocation
// wrappers): `*` matches any run of characters, `?` one character.
//
// Thread-safety: a pure function.

#ifndef HEAPTRAIL_ANALYZER_REPORT_GLOB_H_
#define HEAPTRAIL_ANALYZER_REPORT_GLOB_H_

#include <string_view>

namespace heaptrail::analyzer {

// True when `pattern` matches the whole of `text`.
bool GlobMatches(std::string_view pattern, std::string_view text);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_GLOB_H_
