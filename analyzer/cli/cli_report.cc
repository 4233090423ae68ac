// The report and snapshots subcommands: options, then analysis, report
// building and rendering.

#include "cli/cli_report.h"

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "report/report.h"
#include "report/report_json.h"
#include "report/report_text.h"
#include "report/size_format.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {
namespace {

std::string_view SourceName(format::SnapshotSource source) {
  switch (source) {
    case format::SnapshotSource::kSignal:
      return "signal";
    case format::SnapshotSource::kApi:
      return "api";
    case format::SnapshotSource::kInterval:
      return "interval";
    case format::SnapshotSource::kSignalWithLeaks:
      return "signal+leaks";
  }
  return "?";
}

struct ReportArgs {
  std::string trace;
  std::string at;
  std::string by = "line";
  bool cumulative = false;
  std::string sort = "size";
  size_t top = 10;
  std::string format = "text";
  std::string leak_kind;
};

int RunReport(const ReportArgs& args, const CLI::Option& top, CliIo& io) {
  ReportOptions options;
  absl::StatusOr<uint8_t> kinds = ParseLeakKinds(args.leak_kind);
  if (!kinds.ok()) return ReportError(io, kinds.status());
  options.leak_kinds = *kinds;
  if (options.leak_kinds != 0) options.at = Moment{Moment::kEnd};
  if (!args.at.empty()) {
    absl::StatusOr<Moment> moment = ParseMoment(args.at);
    if (!moment.ok()) return ReportError(io, moment.status());
    options.at = *moment;
  }
  absl::StatusOr<GroupBy> by = ParseGrouping(args.by, args.cumulative);
  if (!by.ok()) return ReportError(io, by.status());
  absl::StatusOr<SortBy> sort = ParseSortBy(args.sort);
  if (!sort.ok()) return ReportError(io, sort.status());
  options.by = *by;
  options.cumulative = args.cumulative;
  options.sort = *sort;
  const bool json = args.format == "json";
  options.top = TopOrDefault(top, args.top, json);

  absl::StatusOr<SymbolizedTrace> trace =
      LoadSymbolizedTrace(args.trace, io, /*parallel=*/true);
  if (!trace.ok()) return ReportError(io, trace.status());
  absl::StatusOr<Report> report =
      BuildReport(*trace->analysis, options, *trace->symbolizer);
  if (!report.ok()) return ReportError(io, report.status());
  if (json) {
    WriteJson(ReportToJson(*report), io.out);
  } else {
    RenderTextReport(*report, io.out);
  }
  io.out.flush();
  return Finish(io, io.out ? 0 : kExitError);
}

struct SnapshotsArgs {
  std::string trace;
  std::string format = "text";
};

int RunSnapshots(const SnapshotsArgs& args, CliIo& io) {
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> loaded =
      LoadTrace(args.trace, io);
  if (!loaded.ok()) return ReportError(io, loaded.status());
  const TraceAnalysis& analysis = **loaded;
  if (args.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const SnapshotState& snapshot : analysis.heap.snapshots()) {
      const SnapshotRecord& record = analysis.SnapshotRecordOf(snapshot);
      list.push_back(
          {{"id", snapshot.id},
           {"label", record.label},
           {"source", SourceName(record.source)},
           {"leak_kinds", snapshot.leaks.totals.classified},
           {"time_s", analysis.Seconds(snapshot.tick)},
           {"live_bytes", snapshot.live_bytes},
           {"live_blocks", snapshot.live_blocks}});
    }
    WriteJson(nlohmann::json{{"snapshots", std::move(list)}}, io.out);
  } else if (analysis.heap.snapshots().empty()) {
    io.out << "no snapshots in " << analysis.path
           << " (send the snapshot signal, or call heaptrail_snapshot())\n";
  } else {
    io.out << absl::StrFormat("%4s %10s %10s %14s %9s  %s\n", "ID", "TIME",
                              "LIVE", "BYTES", "BLOCKS", "LABEL");
    for (const SnapshotState& snapshot : analysis.heap.snapshots()) {
      io.out << absl::StrFormat(
          "%4d %10s %10s %14d %9d  %s%s\n", snapshot.id,
          FormatSeconds(analysis.Seconds(snapshot.tick)),
          FormatBytes(snapshot.live_bytes), snapshot.live_bytes,
          snapshot.live_blocks,
          Printable(analysis.SnapshotRecordOf(snapshot).label),
          snapshot.leaks.totals.classified ? " (leak kinds)" : "");
    }
  }
  io.out.flush();
  return io.out ? 0 : kExitError;
}

}  // namespace

void AddReportCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* command =
      app.add_subcommand("report",
                         "Summary of a trace (allocations, peak, leaks, "
                         "temporary allocations) and "
                         "its top allocation sites");
  command->add_option("trace", args->trace, "The trace file")->required();
  command->add_option(
      "--at", args->at,
      "Show the sites live at this moment: start, peak, end (the leaks) or a "
      "snapshot id 1..N (default: a report of the peak, the leaks and the "
      "temporary allocations)");
  AddByOption(*command, &args->by);
  AddCumulativeFlag(*command, &args->cumulative, "all");
  command
      ->add_option("--sort", args->sort,
                   "Sort sites by size (default) or count")
      ->check(CLI::IsMember({"size", "count"}));
  CLI::Option* top = AddTopOption(*command, &args->top, "sites");
  AddAllocFnOption(*command);
  AddLeakKindOption(*command, &args->leak_kind);
  AddFormatOption(*command, &args->format);
  command->callback(
      [args, top, &io, exit_code] { *exit_code = RunReport(*args, *top, io); });
}

void AddSnapshotsCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto args = std::make_shared<SnapshotsArgs>();
  CLI::App* command = app.add_subcommand(
      "snapshots", "List the snapshots of a trace: id, time, live heap, label");
  command->add_option("trace", args->trace, "The trace file")->required();
  AddFormatOption(*command, &args->format);
  command->callback(
      [args, &io, exit_code] { *exit_code = RunSnapshots(*args, io); });
}

}  // namespace heaptrail::analyzer
