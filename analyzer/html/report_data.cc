// BuildReportData: one section of the document per function.

#include "html/report_data.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "html/flame_tree.h"
#include "report/report.h"
#include "report/report_json.h"
#include "report/sites.h"

namespace heaptrail::analyzer {
namespace {

using nlohmann::json;

std::string SiteKey(const FrameInfo& info) {
  return absl::StrCat(info.function, "\n", info.file, "\n", info.line, "\n",
                      info.module);
}

std::vector<StackValue> AllocatedValues(const TraceAnalysis& analysis) {
  std::vector<StackValue> values;
  for (const StackStats& stats : analysis.heap.stacks()) {
    if (stats.alloc_count == 0) continue;
    values.push_back({stats.stack_id, stats.alloc_bytes, stats.alloc_count});
  }
  return values;
}

// Temporary allocations: their number is both the value and the count.
std::vector<StackValue> TemporaryValues(const TraceAnalysis& analysis) {
  std::vector<StackValue> values;
  for (const StackStats& stats : analysis.heap.stacks()) {
    if (stats.temporary_count == 0) continue;
    values.push_back(
        {stats.stack_id, stats.temporary_count, stats.temporary_count});
  }
  return values;
}

json SummaryJson(const TraceAnalysis& analysis) {
  json summary = SummaryToJson(BuildSummary(analysis));
  summary["executable"] = analysis.process.executable;
  summary["command"] = absl::StrJoin(analysis.process.argv, " ");
  summary["pid"] = analysis.header.pid;
  summary["trace"] = analysis.path;
  summary["start_unix_ns"] = analysis.header.start_unix_ns;
  return summary;
}

json Timeline(const TraceAnalysis& analysis) {
  json t = json::array({0.0});
  json heap = json::array({0});
  for (const TimelinePoint& point : analysis.timeline.Points()) {
    t.push_back(analysis.Seconds(point.tick));
    heap.push_back(point.max);
  }
  json rss_t = json::array();
  json rss = json::array();
  const size_t step = std::max<size_t>(
      1, (analysis.rss.size() + kMaxTimelinePoints - 1) / kMaxTimelinePoints);
  for (size_t i = 0; i < analysis.rss.size(); i += step) {
    uint64_t highest = 0;
    for (size_t j = i; j < std::min(i + step, analysis.rss.size()); ++j) {
      highest = std::max(highest, analysis.rss[j].rss_bytes);
    }
    rss_t.push_back(analysis.Seconds(analysis.rss[i].tick));
    rss.push_back(highest);
  }
  return {{"t", std::move(t)},
          {"heap", std::move(heap)},
          {"rss_t", std::move(rss_t)},
          {"rss", std::move(rss)}};
}

// The moments a user can pick in the timeline, and per moment the live
// bytes/blocks of every source line: [[site, bytes, blocks], ...].
class MomentSites {
 public:
  explicit MomentSites(StackSymbolizer& symbolizer) : symbolizer_(symbolizer) {}

  void Add(const std::string& id, const std::string& label, double time_s,
           uint64_t bytes, uint64_t blocks,
           std::span<const StackValue> values) {
    moments_.push_back({{"id", id},
                        {"label", label},
                        {"time_s", time_s},
                        {"live_bytes", bytes},
                        {"live_blocks", blocks}});
    json entries = json::array();
    for (const Site& site :
         BuildSites(values, SiteOptions{.by = GroupBy::kLine}, symbolizer_)) {
      auto [it, inserted] =
          index_.try_emplace(SiteKey(site.location), sites_.size());
      if (inserted) sites_.push_back(FrameToJson(site.location));
      entries.push_back({it->second, site.size, site.count});
    }
    at_[id] = std::move(entries);
  }

  void Write(json& data) {
    std::stable_sort(
        moments_.begin(), moments_.end(), [](const json& a, const json& b) {
          return a["time_s"].get<double>() < b["time_s"].get<double>();
        });
    data["moments"] = std::move(moments_);
    data["sites"] = std::move(sites_);
    data["at"] = std::move(at_);
  }

 private:
  StackSymbolizer& symbolizer_;
  json moments_ = json::array();
  json sites_ = json::array();
  json at_ = json::object();
  absl::flat_hash_map<std::string, size_t> index_;
};

// Rows [function, file, line, module, peak bytes, peak blocks, leaked bytes,
// leaked blocks, allocated bytes, allocations, temporary allocations].
json SiteTable(const std::vector<std::vector<StackValue>>& columns, GroupBy by,
               StackSymbolizer& symbolizer) {
  absl::flat_hash_map<std::string, size_t> index;
  json rows = json::array();
  for (size_t column = 0; column < columns.size(); ++column) {
    for (const Site& site :
         BuildSites(columns[column], SiteOptions{.by = by}, symbolizer)) {
      auto [it, inserted] =
          index.try_emplace(SiteKey(site.location), rows.size());
      if (inserted) {
        const FrameInfo& l = site.location;
        rows.push_back(
            {l.function, l.file, l.line, l.module, 0, 0, 0, 0, 0, 0, 0});
      }
      json& row = rows[it->second];
      if (column < 3) {
        row[4 + 2 * column] = site.size;
        row[5 + 2 * column] = site.count;
      } else {
        row[10] = site.count;
      }
    }
  }
  return rows;
}

}  // namespace

absl::StatusOr<json> BuildReportData(const TraceAnalysis& analysis,
                                     StackSymbolizer& symbolizer,
                                     uint8_t leak_kinds) {
  const HeapTotals& totals = analysis.heap.totals();
  const std::vector<StackValue> peak = analysis.heap.LiveAtPeak();
  absl::StatusOr<std::vector<StackValue>> live_at_end =
      ValuesAt(analysis, Moment{Moment::kEnd}, leak_kinds);
  if (!live_at_end.ok()) return live_at_end.status();
  const std::vector<StackValue>& leaked = *live_at_end;
  const std::vector<StackValue> allocated = AllocatedValues(analysis);
  const std::vector<StackValue> temporary = TemporaryValues(analysis);

  json data;
  data["summary"] = SummaryJson(analysis);
  data["timeline"] = Timeline(analysis);

  MomentSites moments(symbolizer);
  moments.Add("peak", "peak", analysis.Seconds(totals.peak_tick),
              totals.peak_bytes, totals.peak_blocks, peak);
  for (const SnapshotState& snapshot : analysis.heap.snapshots()) {
    const std::string& label = analysis.SnapshotRecordOf(snapshot).label;
    moments.Add(absl::StrCat(snapshot.id),
                label.empty()
                    ? absl::StrCat("snapshot ", snapshot.id)
                    : absl::StrCat("snapshot ", snapshot.id, " (", label, ")"),
                analysis.Seconds(snapshot.tick), snapshot.live_bytes,
                snapshot.live_blocks, snapshot.stacks);
  }
  moments.Add("end", "end (leaks)", analysis.DurationSeconds(),
              totals.live_bytes, totals.live_blocks, leaked);
  moments.Write(data);

  FrameTable frames;
  json flames;
  const std::pair<const char*, const std::vector<StackValue>*> views[] = {
      {"peak", &peak},
      {"leaked", &leaked},
      {"allocated", &allocated},
      {"temporary", &temporary}};
  for (const auto& [name, values] : views) {
    flames[name] = BuildFlameTree(*values, analysis.stacks, symbolizer, frames)
                       .ToJson(kFlameMinFraction);
  }
  data["flames"] = std::move(flames);
  data["frames"] = frames.json();

  const std::vector<std::vector<StackValue>> columns = {peak, leaked, allocated,
                                                        temporary};
  data["tables"] = {
      {"line", SiteTable(columns, GroupBy::kLine, symbolizer)},
      {"function", SiteTable(columns, GroupBy::kFunction, symbolizer)}};
  return data;
}

}  // namespace heaptrail::analyzer
