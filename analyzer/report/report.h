// The content of `heaptrail report`, independent of its rendering: the
// summary (SPEC §4's keys, times in seconds from the start) and the site
// tables for the chosen moment, built from a TraceAnalysis. Text and JSON
// renderers (report_text.h, report_json.h) only format this.
//
// Thread-safety: functions over values.

#ifndef HEAPTRAIL_ANALYZER_REPORT_REPORT_H_
#define HEAPTRAIL_ANALYZER_REPORT_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "heaptrail/trace_format.h"
#include "replay/size_histogram.h"
#include "replay/trace_analysis.h"
#include "report/sites.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

struct Summary {
  uint64_t allocations = 0;
  uint64_t frees = 0;
  uint64_t allocated_bytes = 0;
  uint64_t peak_bytes = 0;
  uint64_t peak_blocks = 0;
  double peak_time_s = 0;
  uint64_t leaked_bytes = 0;
  uint64_t leaked_blocks = 0;
  uint64_t temporary_allocations = 0;
  double duration_s = 0;
  uint64_t mismatched_frees = 0;
  uint64_t unknown_frees = 0;
  uint64_t failed_reallocs = 0;
  uint64_t snapshots = 0;
  uint64_t threads = 0;
  bool truncated = false;  // the trace was cut short (killed program)
  // The blocks live at the end by reachability, when the trace has it.
  bool leak_kinds_known = false;
  StackUsage by_leak_kind[4];  // indexed by format::LeakKind
};

Summary BuildSummary(const TraceAnalysis& analysis);

// A moment of the trace whose live blocks a report shows.
struct Moment {
  enum Kind { kStart, kPeak, kEnd, kSnapshot };
  Kind kind = kPeak;
  uint32_t snapshot_id = 0;  // kSnapshot: 1..N
  std::string Name() const;  // "start", "peak", "end", "3"
};

// "start", "peak", "end", or a snapshot id "1".."N".
absl::StatusOr<Moment> ParseMoment(std::string_view text);

// Per-stack live values at `moment`, or an error naming the valid range for
// a snapshot id the trace does not have. `leak_kinds` (a mask of
// LeakKindBit, 0: all blocks) keeps the blocks of those kinds: at the end
// only, and of a trace that has the kinds.
absl::StatusOr<std::vector<StackValue>> ValuesAt(const TraceAnalysis& analysis,
                                                 const Moment& moment,
                                                 uint8_t leak_kinds = 0);
// Time of a moment, in seconds from the start.
double MomentSeconds(const TraceAnalysis& analysis, const Moment& moment);

struct MismatchSite {
  FrameInfo location;  // where the block was allocated
  std::vector<FrameInfo> stack;  // the allocation's, from location outwards
  // Where it was released, when the program ran with HEAPTRAIL_FREE_STACKS.
  std::optional<FrameInfo> release;
  std::vector<FrameInfo> release_stack;
  format::AllocKind alloc_kind;
  format::FreeKind free_kind;
  uint64_t count = 0;
  uint64_t bytes = 0;
};

// "definite", "indirect", "possible", "reachable".
std::string_view LeakKindName(format::LeakKind kind);

// The kinds in memcheck's order, with its names as JSON keys
// ("definitely_lost"; in text, with a space).
inline constexpr std::pair<format::LeakKind, std::string_view>
    kLeakKindsInMemcheckOrder[] = {
        {format::LeakKind::kDefinite, "definitely_lost"},
        {format::LeakKind::kIndirect, "indirectly_lost"},
        {format::LeakKind::kPossible, "possibly_lost"},
        {format::LeakKind::kReachable, "still_reachable"}};
// A comma-separated list of kind names (or "all") as a mask of
// 1 << LeakKind; 0 (no filter) for an empty text.
absl::StatusOr<uint8_t> ParseLeakKinds(std::string_view text);
inline constexpr uint8_t kAllLeakKinds = 0xf;
inline constexpr uint8_t LeakKindBit(format::LeakKind kind) {
  return uint8_t(1u << static_cast<unsigned>(kind));
}

// The moments that can have leak kinds: the end (0) and the snapshots taken
// with `heaptrail snapshot --leaks` (their id); nullopt for the others.
std::optional<uint32_t> LeakMoment(const Moment& moment);

// The classification of `moment`'s blocks, or null when it has none.
const LeakTotals* LeakTotalsAt(const TraceAnalysis& analysis,
                               const Moment& moment);

// The sites of `moment`'s blocks whose kind is in `kinds`, each kind's
// sites apart and tagged with it, sorted together; with every kind, also
// the blocks the scan did not classify, untagged. `moment` has kinds.
std::vector<Site> LeakSites(const TraceAnalysis& analysis,
                            const Moment& moment, uint8_t kinds,
                            const SiteOptions& options,
                            StackSymbolizer& symbolizer);

// Fails, saying why, when `kinds` filters and `moment` has no kinds.
absl::Status CheckLeakKindsKnown(const TraceAnalysis& analysis, uint8_t kinds,
                                 const Moment& moment);

struct ReportOptions {
  std::optional<Moment>
      at;  // unset: the default report (peak + leaks + temporary)
  GroupBy by = GroupBy::kLine;
  bool cumulative = false;  // every frame of a stack credited (sites.h)
  SortBy sort = SortBy::kSize;
  size_t top = 10;  // 0: every site
  uint8_t leak_kinds = 0;  // --leak-kind: a mask of LeakKindBit; 0: all
};

struct Report {
  std::string trace_path;
  std::string executable;
  uint32_t pid = 0;
  Summary summary;
  Moment at;  // the moment of `sites`
  double at_time_s = 0;
  // The leak kinds of `at`'s blocks, when `at` has them.
  std::optional<LeakTotals> at_leaks;
  GroupBy by = GroupBy::kLine;
  bool cumulative = false;
  SortBy sort = SortBy::kSize;
  bool default_report = false;  // no --at: leaks and temporary tables too
  std::vector<Site> sites;      // at `at`
  // Default report: live at the end; definitely and indirectly lost when
  // the trace has the kinds, then the other two kinds.
  std::vector<Site> leaks;
  std::vector<Site> possibly_lost;
  std::vector<Site> still_reachable;
  std::vector<Site> temporary;  // default report: count = temporary allocations
  std::vector<MismatchSite> mismatches;
  std::vector<SizeBucket> size_histogram;  // every allocation of the run
};

absl::StatusOr<Report> BuildReport(const TraceAnalysis& analysis,
                                   const ReportOptions& options,
                                   StackSymbolizer& symbolizer);

std::string_view AllocKindName(format::AllocKind kind);
std::string_view FreeKindName(format::FreeKind kind);
std::string_view GroupByName(GroupBy by);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_REPORT_H_
