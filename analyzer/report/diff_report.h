// The content of `heaptrail diff`, independent of its rendering: two moments
// (of one trace, or of two traces), the site tables at each, and their
// difference. Text and JSON renderers below only format it.
//
// Thread-safety: functions over values.

#ifndef HEAPTRAIL_ANALYZER_REPORT_DIFF_REPORT_H_
#define HEAPTRAIL_ANALYZER_REPORT_DIFF_REPORT_H_

#include <cstddef>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "replay/trace_analysis.h"
#include "report/report.h"
#include "report/site_diff.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

// One side of a diff: a moment of a trace.
struct DiffSide {
  std::string trace_path;
  Moment moment;
  double time_s = 0;
};

struct DiffOptions {
  GroupBy by = GroupBy::kLine;
  bool cumulative = false;
  size_t top = 0;  // 0: every site
  uint8_t leak_kinds = 0;  // only these kinds at the end (ValuesAt); 0: all
};

struct DiffReport {
  DiffSide from;
  DiffSide to;
  bool two_traces = false;
  GroupBy by = GroupBy::kLine;
  bool cumulative = false;
  SiteDiff diff;
};

// The difference between two moments; the analyses may be one trace (with
// one symbolizer) or two. An unknown snapshot id is an error.
absl::StatusOr<DiffReport> BuildDiffReport(const TraceAnalysis& older,
                                           const Moment& from,
                                           StackSymbolizer& older_symbols,
                                           const TraceAnalysis& newer,
                                           const Moment& to,
                                           StackSymbolizer& newer_symbols,
                                           const DiffOptions& options);

// "+1.50 MiB" columns, a sign on every difference, one site per line.
void RenderTextDiff(const DiffReport& report, std::ostream& out);

// SPEC §4: {"from", "to", "sites": [{"function", "file", "line", "module",
// "size", "size_diff", "count", "count_diff"}]} plus the traces, times,
// totals and each site's stack.
nlohmann::json DiffToJson(const DiffReport& report);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_DIFF_REPORT_H_
