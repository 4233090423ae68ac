// The difference between two site tables (tracemalloc's compare_to): for
// each site, its size and count on the newer side and the change from the
// older side. Sites are matched by their symbolized location, never by
// address, so two runs or two builds of a program compare as well as two
// snapshots of one run.
//
// Thread-safety: functions over values.

#ifndef HEAPTRAIL_ANALYZER_REPORT_SITE_DIFF_H_
#define HEAPTRAIL_ANALYZER_REPORT_SITE_DIFF_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "report/sites.h"

namespace heaptrail::analyzer {

struct DiffSite {
  FrameInfo location;  // the newer side's (the older one's if it is gone)
  uint64_t size = 0;   // newer side
  int64_t size_diff = 0;
  uint64_t count = 0;  // newer side
  int64_t count_diff = 0;
  std::vector<FrameInfo> stack;  // representative stack, as in Site
};

struct SiteDiff {
  uint64_t older_size = 0;  // totals over every site, before `top`
  uint64_t older_count = 0;
  uint64_t newer_size = 0;
  uint64_t newer_count = 0;
  std::vector<DiffSite> sites;
};

// The key two sites match by: function, file and line (what `by` keeps of
// them); the module's file name only when there is no source file (no debug
// info), so a binary renamed or rebuilt elsewhere still matches. For
// GroupBy::kStack, the keys of every frame of the site's stack.
std::string MatchKey(const Site& site, GroupBy by);

// Every site of either side (a site only in `older` has size 0 and negative
// diffs), sorted by |size_diff| descending, then size descending, then
// location. `top` > 0 keeps only the first ones.
SiteDiff DiffSites(std::span<const Site> older, std::span<const Site> newer,
                   GroupBy by, size_t top);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_SITE_DIFF_H_
