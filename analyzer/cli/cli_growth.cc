// The growth subcommand: options, RankGrowth, and its text and JSON
// renderings.

#include "cli/cli_growth.h"

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "report/growth.h"
#include "report/report.h"
#include "report/report_json.h"
#include "report/report_text.h"
#include "report/size_format.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {
namespace {

struct GrowthArgs {
  std::string trace;
  std::string by = "line";
  size_t top = 10;
  std::string format = "text";
  std::string leak_kind;
};

void RenderText(const GrowthRanking& ranking, const std::string& path,
                GroupBy by, std::ostream& out) {
  out << absl::StrFormat(
      "heaptrail growth: %s, %d snapshots from %s to %s, by %s\n", path,
      ranking.times_s.size(), FormatSeconds(ranking.times_s.front()),
      FormatSeconds(ranking.times_s.back()), GroupByName(by));
  out << absl::StrFormat(
      "suspects: sites that grew in at least half of the %d intervals and "
      "gave back at most a quarter of what they gained (%d of %d sites)\n\n",
      ranking.intervals, ranking.suspects.size(), ranking.sites);
  if (ranking.suspects.empty()) {
    out << "  (no site grew steadily)\n";
    return;
  }
  out << absl::StrFormat("  %11s %14s %7s %7s %10s  %s\n", "GROWTH", "BYTES",
                         "GREW", "SHRANK", "SIZE NOW", "LOCATION");
  for (const GrowthSite& site : ranking.suspects) {
    out << absl::StrFormat(
        "  %11s %+14d %7s %7s %10s  %s\n", FormatBytesSigned(site.growth),
        site.growth, absl::StrFormat("%d/%d", site.grew, ranking.intervals),
        absl::StrFormat("%d/%d", site.shrank, ranking.intervals),
        FormatBytes(site.sizes.back()), FormatLocation(site.location));
  }
}

nlohmann::json ToJson(const GrowthRanking& ranking, GroupBy by) {
  nlohmann::json suspects = nlohmann::json::array();
  for (const GrowthSite& site : ranking.suspects) {
    nlohmann::json entry = FrameToJson(site.location);
    entry["growth"] = site.growth;
    entry["gained"] = site.gained;
    entry["lost"] = site.lost;
    entry["grew"] = site.grew;
    entry["shrank"] = site.shrank;
    entry["sizes"] = site.sizes;
    entry["counts"] = site.counts;
    entry["stack"] = StackToJson(site.stack);
    suspects.push_back(std::move(entry));
  }
  return nlohmann::json{{"by", std::string(GroupByName(by))},
                        {"snapshot_times_s", ranking.times_s},
                        {"intervals", ranking.intervals},
                        {"sites", ranking.sites},
                        {"suspects", std::move(suspects)}};
}

int RunGrowth(const GrowthArgs& args, const CLI::Option& top_option,
              CliIo& io) {
  absl::StatusOr<GroupBy> by = ParseGroupBy(args.by);
  if (!by.ok()) return ReportError(io, by.status());
  const bool json = args.format == "json";
  const size_t top = TopOrDefault(top_option, args.top, json);
  absl::StatusOr<uint8_t> kinds = ParseLeakKinds(args.leak_kind);
  if (!kinds.ok()) return ReportError(io, kinds.status());
  const uint8_t leak_kinds = *kinds;
  absl::StatusOr<SymbolizedTrace> trace = LoadSymbolizedTrace(args.trace, io);
  if (!trace.ok()) return ReportError(io, trace.status());
  absl::StatusOr<GrowthRanking> ranking =
      RankGrowth(*trace->analysis, *by, top, *trace->symbolizer, leak_kinds);
  if (!ranking.ok()) return ReportError(io, ranking.status());
  if (json) {
    WriteJson(ToJson(*ranking, *by), io.out);
  } else {
    RenderText(*ranking, args.trace, *by, io.out);
  }
  io.out.flush();
  return io.out ? 0 : kExitError;
}

}  // namespace

void AddGrowthCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto args = std::make_shared<GrowthArgs>();
  CLI::App* command = app.add_subcommand(
      "growth",
      "Leak suspects of a process that has not exited: the sites whose live "
      "size grew across the trace's snapshots (at least 3). A site is a "
      "suspect when it grew in at least half of the intervals between "
      "consecutive snapshots and lost, in those where it shrank, at most a "
      "quarter of what it gained: a cache that fills and empties is not. "
      "Ranked by net growth (last snapshot minus first)");
  command->add_option("trace", args->trace, "The trace file")->required();
  AddByOption(*command, &args->by);
  CLI::Option* top = AddTopOption(*command, &args->top, "suspects");
  AddAllocFnOption(*command);
  command->add_option(
      "--leak-kind", args->leak_kind,
      "Only the stacks holding blocks of these kinds (definite, indirect, "
      "possible, reachable, comma-separated) at the last snapshot taken with "
      "`heaptrail snapshot --leaks`, else at the end");
  AddFormatOption(*command, &args->format);
  command->callback(
      [args, top, &io, exit_code] { *exit_code = RunGrowth(*args, *top, io); });
}

}  // namespace heaptrail::analyzer
