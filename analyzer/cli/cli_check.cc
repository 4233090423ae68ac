// The check subcommand: budgets parsed, suppressions read, the trace
// checked (report/leak_check.h) and the verdict rendered.

#include "cli/cli_check.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "report/leak_check.h"
#include "report/report_json.h"
#include "report/report_text.h"
#include "report/size_format.h"
#include "trace/status_macros.h"

namespace heaptrail::analyzer {
namespace {

// The sites listed for each budget exceeded.
constexpr size_t kTopSites = 5;

int CheckError(CliIo& io, const absl::Status& status) {
  ReportError(io, status);
  return kCheckError;
}

absl::Status ParseBudget(const std::string& text,
                         std::optional<uint64_t>* budget) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<uint64_t> bytes = ParseByteSize(text);
  if (!bytes.ok()) return bytes.status();
  *budget = *bytes;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadSuppressions(
    const std::vector<std::string>& files) {
  std::vector<std::string> patterns;
  for (const std::string& path : files) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    if (!file)
      return absl::NotFoundError(
          absl::StrCat("cannot read suppressions ", path));
    absl::StatusOr<std::vector<std::string>> parsed =
        ParseSuppressions(text.str());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", parsed.status().message()));
    }
    patterns.insert(patterns.end(), parsed->begin(), parsed->end());
  }
  return patterns;
}

// What a check needs before it reads the trace: its budgets and patterns.
struct CheckPlan {
  Budgets budgets;
  std::vector<std::string> suppressions;
};

absl::StatusOr<CheckPlan> PlanCheck(const CheckArgs& args) {
  if (!HasBudget(args)) {
    return absl::InvalidArgumentError(
        "no budget given: --max-leaked, --max-definitely-lost, "
        "--max-possibly-lost and/or --max-peak SIZE");
  }
  CheckPlan plan;
  for (const auto& [text, budget] :
       {std::pair{&args.max_leaked, &plan.budgets.max_leaked},
        std::pair{&args.max_definitely_lost,
                  &plan.budgets.max_definitely_lost},
        std::pair{&args.max_possibly_lost, &plan.budgets.max_possibly_lost},
        std::pair{&args.max_peak, &plan.budgets.max_peak}}) {
    HEAPTRAIL_RETURN_IF_ERROR(ParseBudget(*text, budget));
  }
  absl::StatusOr<std::vector<std::string>> suppressions =
      ReadSuppressions(args.suppressions);
  if (!suppressions.ok()) return suppressions.status();
  plan.suppressions = std::move(*suppressions);
  return plan;
}

}  // namespace

void AddBudgetOptions(CLI::App& command, CheckArgs* args) {
  command.add_option(
      "--max-leaked", args->max_leaked,
      "Budget for the bytes live at the end, suppressed blocks left "
      "out (a size: 4096, 64KiB, 1.5 MiB...)");
  command.add_option("--max-peak", args->max_peak,
                     "Budget for the heap at its peak");
  command.add_option(
      "--max-definitely-lost", args->max_definitely_lost,
      "Budget for the bytes definitely lost at exit (memcheck's kind: no "
      "pointer to them anywhere), suppressed blocks left out");
  command.add_option(
      "--max-possibly-lost", args->max_possibly_lost,
      "Budget for the bytes possibly lost at exit (found only through "
      "pointers into their middle), suppressed blocks left out");
  command.add_option(
      "--suppressions", args->suppressions,
      "A file of leak:PATTERN lines (LeakSanitizer's form; PATTERN a "
      "glob matched against each frame's function, file or module): "
      "matching blocks count against no budget. Repeatable");
}

bool HasBudget(const CheckArgs& args) {
  return !args.max_leaked.empty() || !args.max_peak.empty() ||
         !args.max_definitely_lost.empty() || !args.max_possibly_lost.empty();
}

absl::Status ValidateCheck(const CheckArgs& args) {
  return PlanCheck(args).status();
}

int RunCheck(const CheckArgs& args, CliIo& io) {
  absl::StatusOr<CheckPlan> plan = PlanCheck(args);
  if (!plan.ok()) return CheckError(io, plan.status());
  absl::StatusOr<SymbolizedTrace> trace = LoadSymbolizedTrace(args.trace, io);
  if (!trace.ok()) return CheckError(io, trace.status());
  absl::StatusOr<CheckResult> result =
      CheckBudgets(*trace->analysis, *trace->symbolizer, plan->budgets,
                   plan->suppressions, kTopSites);
  if (!result.ok()) return CheckError(io, result.status());
  if (args.format == "json") {
    WriteJson(CheckToJson(*result, args.trace), io.out);
  } else {
    RenderCheckText(*result, args.trace, io.out);
  }
  io.out.flush();
  if (!io.out) return kCheckError;
  return result->within_budget() ? 0 : kCheckOverBudget;
}

void AddCheckCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* command = app.add_subcommand(
      "check",
      "Check a trace against budgets, for CI: exit status 0 within every "
      "budget, 1 over one (each printed with its top sites), 2 on a usage or "
      "trace error");
  command->add_option("trace", args->trace, "The trace file")->required();
  AddBudgetOptions(*command, args.get());
  AddAllocFnOption(*command);
  AddFormatOption(*command, &args->format);
  command->callback(
      [args, &io, exit_code] { *exit_code = RunCheck(*args, io); });
}

}  // namespace heaptrail::analyzer
