// The CI gate of `heaptrail check`: a trace's leaks and peak against
// budgets, with suppressions for leaks that are known and accepted.
//
// Suppressions are a text file, LeakSanitizer's form: one `leak:PATTERN` a
// line, `#` starts a comment, blank lines are ignored. PATTERN is a glob
// (`*` any run of characters, `?` one) matched against each frame of a
// block's allocation stack: its function, its source file (the path or its
// base name) or its module (the path or its base name). A block live at the
// end whose stack has a matching frame is suppressed: it counts against no
// budget, and the check lists it as suppressed.
//
// Thread-safety: not thread-safe (the symbolizer is used).

#ifndef HEAPTRAIL_ANALYZER_REPORT_LEAK_CHECK_H_
#define HEAPTRAIL_ANALYZER_REPORT_LEAK_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/trace_analysis.h"
#include "report/sites.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

// The patterns of a suppressions file, or an error naming the first line
// that is not a comment, blank, or `leak:PATTERN`.
absl::StatusOr<std::vector<std::string>> ParseSuppressions(
    std::string_view text);

struct Budgets {
  std::optional<uint64_t> max_leaked;  // bytes live at the end, unsuppressed
  std::optional<uint64_t> max_peak;    // bytes at the peak
  // Bytes live at the end by memcheck's kinds, unsuppressed (the trace must
  // have the kinds).
  std::optional<uint64_t> max_definitely_lost;
  std::optional<uint64_t> max_possibly_lost;
};

struct BudgetResult {
  std::string name;  // "leaked", "peak", "definitely lost", "possibly lost"
  uint64_t limit = 0;
  uint64_t value = 0;
  bool over = false;
  std::vector<Site> sites;  // the top sites of `value`, by line
};

struct CheckResult {
  std::vector<BudgetResult> budgets;  // in the order of Budgets' fields
  uint64_t suppressed_bytes = 0;
  uint64_t suppressed_blocks = 0;
  std::vector<Site> suppressed_sites;  // by line
  bool within_budget() const;
};

// Checks `analysis` against `budgets`, leaving out the blocks whose stack
// matches one of `suppressions`; `top` sites are kept per budget.
absl::StatusOr<CheckResult> CheckBudgets(
    const TraceAnalysis& analysis, StackSymbolizer& symbolizer,
    const Budgets& budgets, const std::vector<std::string>& suppressions,
    size_t top);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_LEAK_CHECK_H_
