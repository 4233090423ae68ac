// Budgets and suppressions over the blocks live at the end and the peak.

#include "report/leak_check.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "report/glob.h"
#include "report/report.h"
#include "trace/status_macros.h"

namespace heaptrail::analyzer {
namespace {

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool FrameMatches(const SourceFrame& frame,
                  const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    if (GlobMatches(pattern, frame.function) ||
        GlobMatches(pattern, frame.file) ||
        GlobMatches(pattern, BaseName(frame.file)) ||
        GlobMatches(pattern, frame.module) ||
        GlobMatches(pattern, BaseName(frame.module))) {
      return true;
    }
  }
  return false;
}

bool Suppressed(uint32_t stack_id, StackSymbolizer& symbolizer,
                const std::vector<std::string>& patterns) {
  if (patterns.empty()) return false;
  for (const SourceFrame* frame : symbolizer.Frames(stack_id)) {
    if (FrameMatches(*frame, patterns)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseSuppressions(
    std::string_view text) {
  std::vector<std::string> patterns;
  int number = 0;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    line = line.substr(0, line.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (!absl::ConsumePrefix(&line, "leak:") || line.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "suppressions line %d: expected leak:PATTERN, got \"%s\"", number,
          line));
    }
    patterns.emplace_back(line);
  }
  return patterns;
}

bool CheckResult::within_budget() const {
  for (const BudgetResult& budget : budgets) {
    if (budget.over) return false;
  }
  return true;
}

absl::StatusOr<CheckResult> CheckBudgets(
    const TraceAnalysis& analysis, StackSymbolizer& symbolizer,
    const Budgets& budgets, const std::vector<std::string>& suppressions,
    size_t top) {
  SiteOptions by_line;
  by_line.top = top;
  CheckResult result;

  // The blocks live at the end (of `kinds`, 0: all) not suppressed, into
  // a budget; the suppressed ones are counted once, from all blocks.
  auto budget_live = [&](const char* name, uint64_t limit,
                         uint8_t kinds) -> absl::Status {
    absl::StatusOr<std::vector<StackValue>> live =
        ValuesAt(analysis, Moment{Moment::kEnd}, kinds);
    if (!live.ok()) return live.status();
    std::vector<StackValue> counted, suppressed;
    uint64_t bytes = 0;
    for (const StackValue& value : *live) {
      if (Suppressed(value.stack_id, symbolizer, suppressions)) {
        suppressed.push_back(value);
      } else {
        counted.push_back(value);
        bytes += value.bytes;
      }
    }
    if (kinds == 0) {
      for (const StackValue& value : suppressed) {
        result.suppressed_bytes += value.bytes;
        result.suppressed_blocks += value.blocks;
      }
      result.suppressed_sites = BuildSites(suppressed, by_line, symbolizer);
    }
    if (name == nullptr) return absl::OkStatus();
    BudgetResult& budget = result.budgets.emplace_back();
    budget.name = name;
    budget.limit = limit;
    budget.value = bytes;
    budget.over = bytes > limit;
    budget.sites = BuildSites(counted, by_line, symbolizer);
    return absl::OkStatus();
  };

  HEAPTRAIL_RETURN_IF_ERROR(budget_live(
      budgets.max_leaked ? "leaked" : nullptr, budgets.max_leaked.value_or(0),
      0));
  if (budgets.max_definitely_lost) {
    HEAPTRAIL_RETURN_IF_ERROR(
        budget_live("definitely lost", *budgets.max_definitely_lost,
                    LeakKindBit(format::LeakKind::kDefinite)));
  }
  if (budgets.max_possibly_lost) {
    HEAPTRAIL_RETURN_IF_ERROR(
        budget_live("possibly lost", *budgets.max_possibly_lost,
                    LeakKindBit(format::LeakKind::kPossible)));
  }
  if (budgets.max_peak) {
    absl::StatusOr<std::vector<StackValue>> at_peak =
        ValuesAt(analysis, Moment{Moment::kPeak});
    if (!at_peak.ok()) return at_peak.status();
    BudgetResult& budget = result.budgets.emplace_back();
    budget.name = "peak";
    budget.limit = *budgets.max_peak;
    budget.value = BuildSummary(analysis).peak_bytes;
    budget.over = budget.value > budget.limit;
    budget.sites = BuildSites(*at_peak, by_line, symbolizer);
  }
  return result;
}

}  // namespace heaptrail::analyzer
