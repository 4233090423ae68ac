// The diff subcommand: options, loading one or two traces, then
// BuildDiffReport and rendering.

#include "cli/cli_diff.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "report/diff_report.h"
#include "report/report_json.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {
namespace {

struct DiffArgs {
  std::vector<std::string> traces;
  std::string from;
  std::string to;
  std::string at = "end";
  std::string by = "line";
  bool cumulative = false;
  size_t top = 10;
  std::string format = "text";
  std::string leak_kind;
};

absl::StatusOr<Moment> ParseSide(const std::string& text, const char* option) {
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("diff of one trace needs --from and --to (missing ",
                     option, "): heaptrail diff TRACE --from A --to B"));
  }
  return ParseMoment(text);
}

int RunDiff(const DiffArgs& args, const CLI::Option& top, bool at_given,
            CliIo& io) {
  const bool two_traces = args.traces.size() == 2;
  Moment from, to;
  if (two_traces) {
    if (!args.from.empty() || !args.to.empty()) {
      return ReportError(io, absl::InvalidArgumentError(
                                 "--from/--to compare two moments of one "
                                 "trace; with two traces, use --at"));
    }
    absl::StatusOr<Moment> at = ParseMoment(args.at);
    if (!at.ok()) return ReportError(io, at.status());
    from = to = *at;
  } else {
    if (at_given) {
      return ReportError(io, absl::InvalidArgumentError(
                                 "--at compares two traces; with one trace, "
                                 "use --from and --to"));
    }
    absl::StatusOr<Moment> parsed = ParseSide(args.from, "--from");
    if (!parsed.ok()) return ReportError(io, parsed.status());
    from = *parsed;
    parsed = ParseSide(args.to, "--to");
    if (!parsed.ok()) return ReportError(io, parsed.status());
    to = *parsed;
  }
  absl::StatusOr<GroupBy> by = ParseGrouping(args.by, args.cumulative);
  if (!by.ok()) return ReportError(io, by.status());
  const bool json = args.format == "json";
  DiffOptions options;
  options.by = *by;
  options.cumulative = args.cumulative;
  options.top = TopOrDefault(top, args.top, json);
  absl::StatusOr<uint8_t> kinds = ParseLeakKinds(args.leak_kind);
  if (!kinds.ok()) return ReportError(io, kinds.status());
  options.leak_kinds = *kinds;

  absl::StatusOr<std::unique_ptr<TraceAnalysis>> older =
      LoadTrace(args.traces[0], io);
  if (!older.ok()) return ReportError(io, older.status());
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> newer;
  if (two_traces) {
    newer = LoadTrace(args.traces[1], io);
    if (!newer.ok()) return ReportError(io, newer.status());
  }
  const TraceAnalysis& newer_analysis = two_traces ? **newer : **older;
  std::unique_ptr<SymbolSource> symbols =
      MakeDwarfSymbolSource(SymbolizerOptionsFromEnvironment());
  StackSymbolizer older_symbolizer((*older)->stacks, (*older)->modules,
                                   (*older)->python, *symbols);
  std::unique_ptr<StackSymbolizer> newer_symbolizer;
  if (two_traces) {
    newer_symbolizer = std::make_unique<StackSymbolizer>(
        (*newer)->stacks, (*newer)->modules, (*newer)->python, *symbols);
  }
  absl::StatusOr<DiffReport> report = BuildDiffReport(
      **older, from, older_symbolizer, newer_analysis, to,
      two_traces ? *newer_symbolizer : older_symbolizer, options);
  if (!report.ok()) return ReportError(io, report.status());
  if (json) {
    WriteJson(DiffToJson(*report), io.out);
  } else {
    RenderTextDiff(*report, io.out);
  }
  io.out.flush();
  return io.out ? 0 : kExitError;
}

}  // namespace

void AddDiffCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* command = app.add_subcommand(
      "diff",
      "What grew and what shrank, per site: between two moments of one trace "
      "(heaptrail diff TRACE --from A --to B), or between two runs or builds "
      "(heaptrail diff OLD.trace NEW.trace [--at end|peak|N]), sites matched "
      "by function, file and line. Sorted by |size_diff|, then size");
  command->add_option("traces", args->traces, "TRACE, or OLD.trace NEW.trace")
      ->required()
      ->expected(1, 2);
  command->add_option("--from", args->from,
                      "The older moment of TRACE: start, peak, end or a "
                      "snapshot id 1..N");
  command->add_option("--to", args->to, "The newer moment of TRACE");
  CLI::Option* at = command->add_option(
      "--at", args->at,
      "With two traces, the moment of each: end (default), peak or a "
      "snapshot id 1..N");
  AddByOption(*command, &args->by);
  AddCumulativeFlag(*command, &args->cumulative, "the change of all");
  CLI::Option* top = AddTopOption(*command, &args->top, "sites");
  AddAllocFnOption(*command);
  AddLeakKindOption(*command, &args->leak_kind);
  AddFormatOption(*command, &args->format);
  command->callback([args, top, at, &io, exit_code] {
    *exit_code = RunDiff(*args, *top, at->count() > 0, io);
  });
}

}  // namespace heaptrail::analyzer
