// JSON rendering of a report.

#include "report/report_json.h"

#include <string>
#include <utility>

namespace heaptrail::analyzer {

using nlohmann::json;

namespace {

// "definitely_lost_bytes"... of `by_kind` (null values when not `known`).
void PutLeakKinds(const StackUsage (&by_kind)[4], bool known, json& out) {
  for (const auto& [kind, name] : kLeakKindsInMemcheckOrder) {
    const StackUsage& usage = by_kind[static_cast<size_t>(kind)];
    out[std::string(name) + "_bytes"] = known ? json(usage.bytes) : json();
    out[std::string(name) + "_blocks"] = known ? json(usage.blocks) : json();
  }
}

}  // namespace

json SummaryToJson(const Summary& s) {
  json summary{
      {"allocations", s.allocations},
      {"frees", s.frees},
      {"allocated_bytes", s.allocated_bytes},
      {"peak_bytes", s.peak_bytes},
      {"peak_blocks", s.peak_blocks},
      {"peak_time_s", s.peak_time_s},
      {"leaked_bytes", s.leaked_bytes},
      {"leaked_blocks", s.leaked_blocks},
      {"temporary_allocations", s.temporary_allocations},
      {"duration_s", s.duration_s},
      {"mismatched_frees", s.mismatched_frees},
      {"unknown_frees", s.unknown_frees},
      {"failed_reallocs", s.failed_reallocs},
      {"snapshots", s.snapshots},
      {"threads", s.threads},
      {"truncated", s.truncated},
  };
  PutLeakKinds(s.by_leak_kind, s.leak_kinds_known, summary);
  return summary;
}

namespace {

// The kinds of one moment's blocks, with the summary's key names.
json LeakTotalsToJson(const LeakTotals& totals) {
  json out;
  PutLeakKinds(totals.by_kind, true, out);
  out["unclassified_bytes"] = totals.unclassified.bytes;
  out["unclassified_blocks"] = totals.unclassified.blocks;
  out["pause_s"] = static_cast<double>(totals.pause_ns) / 1e9;
  return out;
}

}  // namespace

json FrameToJson(const FrameInfo& frame) {
  json out{{"function", frame.function},
           {"file", frame.file},
           {"line", frame.line},
           {"module", frame.module}};
  // Only when set: native frames keep the keys they always had.
  if (frame.python) out["python"] = true;
  return out;
}

json StackToJson(const std::vector<FrameInfo>& frames) {
  json stack = json::array();
  for (const FrameInfo& frame : frames) stack.push_back(FrameToJson(frame));
  return stack;
}

json SitesToJson(const std::vector<Site>& sites) {
  json array = json::array();
  for (const Site& site : sites) {
    json entry = FrameToJson(site.location);
    entry["size"] = site.size;
    entry["count"] = site.count;
    entry["stack"] = StackToJson(site.stack);
    if (site.leak_kind) {
      entry["leak_kind"] = std::string(LeakKindName(*site.leak_kind));
    }
    array.push_back(std::move(entry));
  }
  return array;
}

json ReportToJson(const Report& report) {
  json out;
  out["trace"] = report.trace_path;
  out["executable"] = report.executable;
  out["pid"] = report.pid;
  out["summary"] = SummaryToJson(report.summary);
  out["at"] = report.at.Name();
  out["at_time_s"] = report.at_time_s;
  if (report.at_leaks) out["at_leak_kinds"] = LeakTotalsToJson(*report.at_leaks);
  out["by"] = std::string(GroupByName(report.by));
  out["cumulative"] = report.cumulative;
  out["sites"] = SitesToJson(report.sites);
  if (report.default_report) {
    out["leaks"] = SitesToJson(report.leaks);
    if (report.summary.leak_kinds_known) {
      out["possibly_lost"] = SitesToJson(report.possibly_lost);
      out["still_reachable"] = SitesToJson(report.still_reachable);
    }
    json temporary = json::array();
    for (const Site& site : report.temporary) {
      json entry = FrameToJson(site.location);
      entry["count"] = site.count;
      temporary.push_back(std::move(entry));
    }
    out["temporary"] = std::move(temporary);
  }
  json mismatches = json::array();
  for (const MismatchSite& m : report.mismatches) {
    json entry = FrameToJson(m.location);
    entry["allocated_with"] = std::string(AllocKindName(m.alloc_kind));
    entry["released_with"] = std::string(FreeKindName(m.free_kind));
    entry["count"] = m.count;
    entry["size"] = m.bytes;
    entry["stack"] = StackToJson(m.stack);
    entry["release"] = m.release.has_value() ? FrameToJson(*m.release) : json();
    entry["release_stack"] = StackToJson(m.release_stack);
    mismatches.push_back(std::move(entry));
  }
  out["mismatches"] = std::move(mismatches);
  json histogram = json::array();
  for (const SizeBucket& bucket : report.size_histogram) {
    histogram.push_back({{"min", bucket.min},
                         {"max", bucket.max},
                         {"count", bucket.count},
                         {"bytes", bucket.bytes}});
  }
  out["size_histogram"] = std::move(histogram);
  return out;
}

void WriteJson(const json& value, std::ostream& out) {
  out << value.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

nlohmann::json CheckToJson(const CheckResult& result,
                           const std::string& trace) {
  nlohmann::json budgets = nlohmann::json::array();
  for (const BudgetResult& budget : result.budgets) {
    budgets.push_back({{"name", budget.name},
                       {"limit", budget.limit},
                       {"value", budget.value},
                       {"over", budget.over},
                       {"sites", SitesToJson(budget.sites)}});
  }
  return {{"trace", trace},
          {"within_budget", result.within_budget()},
          {"budgets", std::move(budgets)},
          {"suppressed",
           {{"bytes", result.suppressed_bytes},
            {"blocks", result.suppressed_blocks},
            {"sites", SitesToJson(result.suppressed_sites)}}}};
}

}  // namespace heaptrail::analyzer
