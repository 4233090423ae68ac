// BuildDiffReport and the text and JSON renderings of a diff.

#include "report/diff_report.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "report/report_json.h"
#include "report/report_text.h"
#include "report/size_format.h"
#include "trace/status_macros.h"

namespace heaptrail::analyzer {
namespace {

absl::StatusOr<std::vector<Site>> SitesAt(const TraceAnalysis& analysis,
                                          const Moment& moment,
                                          StackSymbolizer& symbolizer,
                                          const DiffOptions& options) {
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::vector<StackValue> values,
                             ValuesAt(analysis, moment, options.leak_kinds));
  SiteOptions site_options;
  site_options.by = options.by;
  site_options.cumulative = options.cumulative;
  return BuildSites(values, site_options, symbolizer);
}

// Diffs carry a sign on every value, zero included.
std::string SignedBytes(int64_t bytes) {
  return bytes == 0 ? "+0 B" : FormatBytesSigned(bytes);
}

std::string SideTitle(const DiffSide& side, bool with_trace) {
  std::string title;
  switch (side.moment.kind) {
    case Moment::kStart:
      title = "start";
      break;
    case Moment::kPeak:
      title = absl::StrCat("peak (", FormatSeconds(side.time_s), ")");
      break;
    case Moment::kEnd:
      title = absl::StrCat("end (", FormatSeconds(side.time_s), ")");
      break;
    case Moment::kSnapshot:
      title = absl::StrCat("snapshot ", side.moment.snapshot_id, " (",
                           FormatSeconds(side.time_s), ")");
      break;
  }
  return with_trace ? absl::StrCat(side.trace_path, " at ", title) : title;
}

nlohmann::json SideToJson(const DiffSide& side) {
  return nlohmann::json{{"trace", side.trace_path},
                        {"at", side.moment.Name()},
                        {"time_s", side.time_s}};
}

}  // namespace

absl::StatusOr<DiffReport> BuildDiffReport(const TraceAnalysis& older,
                                           const Moment& from,
                                           StackSymbolizer& older_symbols,
                                           const TraceAnalysis& newer,
                                           const Moment& to,
                                           StackSymbolizer& newer_symbols,
                                           const DiffOptions& options) {
  DiffReport report;
  report.from = {older.path, from, MomentSeconds(older, from)};
  report.to = {newer.path, to, MomentSeconds(newer, to)};
  report.two_traces = &older != &newer;
  report.by = options.by;
  report.cumulative = options.cumulative;
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::vector<Site> older_sites,
                             SitesAt(older, from, older_symbols, options));
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::vector<Site> newer_sites,
                             SitesAt(newer, to, newer_symbols, options));
  report.diff = DiffSites(older_sites, newer_sites, options.by, options.top);
  return report;
}

void RenderTextDiff(const DiffReport& report, std::ostream& out) {
  const SiteDiff& diff = report.diff;
  out << "heaptrail diff: ";
  if (!report.two_traces) out << report.from.trace_path << ", ";
  out << SideTitle(report.from, report.two_traces) << " -> "
      << SideTitle(report.to, report.two_traces) << ", by "
      << GroupByName(report.by) << (report.cumulative ? ", cumulative" : "")
      << "\n";
  const int64_t size_diff = static_cast<int64_t>(diff.newer_size) -
                            static_cast<int64_t>(diff.older_size);
  const int64_t count_diff = static_cast<int64_t>(diff.newer_count) -
                             static_cast<int64_t>(diff.older_count);
  if (!report.cumulative) {
    out << absl::StrFormat("live heap: %s, %s (%+d B); %d blocks (%+d)\n",
                           FormatBytesExact(diff.newer_size),
                           SignedBytes(size_diff), size_diff, diff.newer_count,
                           count_diff);
  }
  out << "\n";
  if (diff.sites.empty()) {
    out << "  (no live blocks at either moment)\n";
    return;
  }
  out << absl::StrFormat("  %11s %14s %10s %10s %9s  %s\n", "SIZE_DIFF",
                         "BYTES_DIFF", "SIZE", "COUNT_DIFF", "COUNT",
                         "LOCATION");
  for (const DiffSite& site : diff.sites) {
    out << absl::StrFormat("  %11s %+14d %10s %+10d %9d  %s\n",
                           SignedBytes(site.size_diff), site.size_diff,
                           FormatBytes(site.size), site.count_diff, site.count,
                           FormatLocation(site.location));
    // The caller of the location, for context, as in `report`.
    if (const FrameInfo* caller = CallerOf(site.location, site.stack)) {
      out << absl::StrFormat("  %11s %14s %10s %10s %9s    called from %s\n",
                             "", "", "", "", "", FormatLocation(*caller));
    }
  }
}

nlohmann::json DiffToJson(const DiffReport& report) {
  nlohmann::json out;
  out["from"] = report.from.moment.Name();
  out["to"] = report.to.moment.Name();
  out["from_side"] = SideToJson(report.from);
  out["to_side"] = SideToJson(report.to);
  out["by"] = std::string(GroupByName(report.by));
  out["cumulative"] = report.cumulative;
  out["older_size"] = report.diff.older_size;
  out["older_count"] = report.diff.older_count;
  out["newer_size"] = report.diff.newer_size;
  out["newer_count"] = report.diff.newer_count;
  nlohmann::json sites = nlohmann::json::array();
  for (const DiffSite& site : report.diff.sites) {
    nlohmann::json entry = FrameToJson(site.location);
    entry["size"] = site.size;
    entry["size_diff"] = site.size_diff;
    entry["count"] = site.count;
    entry["count_diff"] = site.count_diff;
    entry["stack"] = StackToJson(site.stack);
    sites.push_back(std::move(entry));
  }
  out["sites"] = std::move(sites);
  return out;
}

}  // namespace heaptrail::analyzer
