// RankGrowth: the site table of every snapshot, merged into one series per
// site (matched as in a diff), then the rule.

#include "report/growth.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "report/report.h"
#include "report/site_diff.h"

namespace heaptrail::analyzer {

bool IsGrowthSuspect(const GrowthSite& site, uint32_t intervals) {
  return site.gained > 0 && 2 * site.grew >= intervals &&
         4 * site.lost <= site.gained;
}

namespace {

// The stacks with blocks of `kinds` at the last moment that has kinds.
absl::StatusOr<absl::flat_hash_set<uint32_t>> StacksOfKinds(
    const TraceAnalysis& analysis, uint8_t kinds) {
  const std::vector<SnapshotState>& snapshots = analysis.heap.snapshots();
  Moment moment{Moment::kEnd};
  for (const SnapshotState& snapshot : snapshots) {
    if (snapshot.leaks.totals.classified) {
      moment = Moment{Moment::kSnapshot, snapshot.id};
    }
  }
  absl::StatusOr<std::vector<StackValue>> values =
      ValuesAt(analysis, moment, kinds);
  if (!values.ok()) return values.status();
  absl::flat_hash_set<uint32_t> stacks;
  for (const StackValue& value : *values) stacks.insert(value.stack_id);
  return stacks;
}

}  // namespace

absl::StatusOr<GrowthRanking> RankGrowth(const TraceAnalysis& analysis,
                                         GroupBy by, size_t top,
                                         StackSymbolizer& symbolizer,
                                         uint8_t leak_kinds) {
  const std::vector<SnapshotState>& snapshots = analysis.heap.snapshots();
  if (snapshots.size() < kMinGrowthSnapshots) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "a growth ranking needs at least %d snapshots and %s has %d (take "
        "them with heaptrail run --snapshot-interval SECONDS, heaptrail "
        "snapshot PID or heaptrail_snapshot())",
        kMinGrowthSnapshots, analysis.path, snapshots.size()));
  }
  absl::flat_hash_set<uint32_t> kept;
  if (leak_kinds != 0) {
    absl::StatusOr<absl::flat_hash_set<uint32_t>> stacks =
        StacksOfKinds(analysis, leak_kinds);
    if (!stacks.ok()) return stacks.status();
    kept = std::move(*stacks);
  }
  const size_t n = snapshots.size();
  GrowthRanking ranking;
  ranking.intervals = static_cast<uint32_t>(n - 1);
  absl::flat_hash_map<std::string, GrowthSite> series;
  for (size_t i = 0; i < n; ++i) {
    ranking.times_s.push_back(analysis.Seconds(snapshots[i].tick));
    std::vector<StackValue> values = snapshots[i].stacks;
    if (leak_kinds != 0) {
      std::erase_if(values, [&](const StackValue& value) {
        return !kept.contains(value.stack_id);
      });
    }
    for (Site& site : BuildSites(values, SiteOptions{.by = by}, symbolizer)) {
      auto [it, inserted] = series.try_emplace(MatchKey(site, by));
      GrowthSite& entry = it->second;
      if (inserted) {
        entry.location = std::move(site.location);
        entry.stack = std::move(site.stack);
        entry.sizes.assign(n, 0);
        entry.counts.assign(n, 0);
      }
      entry.sizes[i] += site.size;
      entry.counts[i] += site.count;
    }
  }
  ranking.sites = series.size();
  for (auto& [key, site] : series) {
    for (size_t i = 1; i < n; ++i) {
      if (site.sizes[i] > site.sizes[i - 1]) {
        site.gained += site.sizes[i] - site.sizes[i - 1];
        ++site.grew;
      } else if (site.sizes[i] < site.sizes[i - 1]) {
        site.lost += site.sizes[i - 1] - site.sizes[i];
        ++site.shrank;
      }
    }
    site.growth = static_cast<int64_t>(site.sizes.back()) -
                  static_cast<int64_t>(site.sizes.front());
    if (IsGrowthSuspect(site, ranking.intervals)) {
      ranking.suspects.push_back(std::move(site));
    }
  }
  std::sort(ranking.suspects.begin(), ranking.suspects.end(),
            [](const GrowthSite& a, const GrowthSite& b) {
              if (a.growth != b.growth) return a.growth > b.growth;
              if (a.grew != b.grew) return a.grew > b.grew;
              return a.location < b.location;
            });
  if (top > 0 && ranking.suspects.size() > top) ranking.suspects.resize(top);
  return ranking;
}

}  // namespace heaptrail::analyzer
