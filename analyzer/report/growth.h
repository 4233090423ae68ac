// Growth ranking: the leak suspects of a process, from the live size of each
// site at every snapshot (periodic, signalled or from the API).
//
// The rule, over the N-1 intervals between consecutive snapshots (N >= 3):
// a site is a suspect when its live size grew in at least half of the
// intervals, and what it lost in the intervals where it shrank is at most a
// quarter of what it gained in those where it grew. So a steady leak is a
// suspect (it never shrinks), and so is a leak whose line also frees a
// little; a cache that fills and empties is not (it gives back what it
// took), nor is one that refills to a bound (each flush gives back a whole
// fill), nor a site that grew once. Suspects are ranked by their net growth
// (last snapshot minus first), then by the number of intervals they grew in.
//
// Thread-safety: functions.

#ifndef HEAPTRAIL_ANALYZER_REPORT_GROWTH_H_
#define HEAPTRAIL_ANALYZER_REPORT_GROWTH_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/trace_analysis.h"
#include "report/sites.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

inline constexpr size_t kMinGrowthSnapshots = 3;

struct GrowthSite {
  FrameInfo location;
  std::vector<FrameInfo> stack;
  std::vector<uint64_t> sizes;   // live bytes at each snapshot
  std::vector<uint64_t> counts;  // live blocks at each snapshot
  int64_t growth = 0;            // last size - first size
  uint64_t gained = 0;           // sum of the increases between snapshots
  uint64_t lost = 0;             // sum of the decreases
  uint32_t grew = 0;             // intervals with an increase
  uint32_t shrank = 0;           // intervals with a decrease
};

// The rule above, for one site's series.
bool IsGrowthSuspect(const GrowthSite& site, uint32_t intervals);

struct GrowthRanking {
  std::vector<double> times_s;  // of each snapshot
  uint32_t intervals = 0;
  size_t sites = 0;  // sites live at some snapshot
  std::vector<GrowthSite> suspects;
};

// Ranks the sites of `analysis` by the rule; `top` > 0 keeps the first ones.
// `leak_kinds` (a mask of LeakKindBit; 0: all) keeps the stacks that hold
// blocks of those kinds at the last moment classified: the last snapshot
// taken with --leaks, else the end. An error when the trace has fewer than
// kMinGrowthSnapshots snapshots, or no such moment.
absl::StatusOr<GrowthRanking> RankGrowth(const TraceAnalysis& analysis,
                                         GroupBy by, size_t top,
                                         StackSymbolizer& symbolizer,
                                         uint8_t leak_kinds = 0);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_GROWTH_H_
