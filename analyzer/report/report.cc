// BuildReport and its parts: summary numbers, moments, site tables.

#include "report/report.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "trace/status_macros.h"

namespace heaptrail::analyzer {

Summary BuildSummary(const TraceAnalysis& analysis) {
  const HeapTotals& totals = analysis.heap.totals();
  Summary summary;
  summary.allocations = totals.allocations;
  summary.frees = totals.frees;
  summary.allocated_bytes = totals.allocated_bytes;
  summary.peak_bytes = totals.peak_bytes;
  summary.peak_blocks = totals.peak_blocks;
  summary.peak_time_s = analysis.Seconds(totals.peak_tick);
  summary.leaked_bytes = totals.live_bytes;
  summary.leaked_blocks = totals.live_blocks;
  summary.temporary_allocations = totals.temporary_allocations;
  summary.duration_s = analysis.DurationSeconds();
  summary.mismatched_frees = totals.mismatched_frees;
  summary.unknown_frees = totals.unknown_frees;
  summary.failed_reallocs = totals.failed_reallocs;
  summary.snapshots = analysis.heap.snapshots().size();
  summary.threads = analysis.threads.size();
  summary.truncated = analysis.truncated || !analysis.ended;
  const LeakTotals& leaks = analysis.heap.leak_totals();
  summary.leak_kinds_known = leaks.classified;
  std::copy(std::begin(leaks.by_kind), std::end(leaks.by_kind),
            std::begin(summary.by_leak_kind));
  return summary;
}

std::string_view LeakKindName(format::LeakKind kind) {
  switch (kind) {
    case format::LeakKind::kReachable:
      return "reachable";
    case format::LeakKind::kPossible:
      return "possible";
    case format::LeakKind::kIndirect:
      return "indirect";
    case format::LeakKind::kDefinite:
      return "definite";
  }
  return "?";
}

absl::StatusOr<uint8_t> ParseLeakKinds(std::string_view text) {
  uint8_t mask = 0;
  if (text.empty()) return mask;  // the option not given
  for (const absl::string_view piece :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',')) {
    const std::string_view name(piece.data(), piece.size());
    if (name == "all") {
      mask = kAllLeakKinds;
      continue;
    }
    bool known = false;
    for (uint8_t kind = 0; kind < 4; ++kind) {
      if (name == LeakKindName(format::LeakKind(kind))) {
        mask |= uint8_t(1u << kind);
        known = true;
      }
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid leak kind '%s' (expected definite, indirect, possible, "
          "reachable or all, comma-separated)",
          name));
    }
  }
  return mask;
}

std::optional<uint32_t> LeakMoment(const Moment& moment) {
  if (moment.kind == Moment::kEnd) return 0;
  if (moment.kind == Moment::kSnapshot) return moment.snapshot_id;
  return std::nullopt;
}

const LeakTotals* LeakTotalsAt(const TraceAnalysis& analysis,
                               const Moment& moment) {
  const std::optional<uint32_t> id = LeakMoment(moment);
  if (!id || *id > analysis.heap.snapshots().size()) return nullptr;
  const LeakTotals& totals = analysis.heap.leak_totals(*id);
  return totals.classified ? &totals : nullptr;
}

absl::Status CheckLeakKindsKnown(const TraceAnalysis& analysis, uint8_t kinds,
                                 const Moment& moment) {
  if (kinds == 0 || LeakTotalsAt(analysis, moment) != nullptr) {
    return absl::OkStatus();
  }
  if (moment.kind == Moment::kSnapshot) {
    return absl::FailedPreconditionError(absl::StrCat(
        analysis.path, ": snapshot ", moment.snapshot_id,
        " has no leak kinds (take one with `heaptrail snapshot PID --leaks`)"));
  }
  if (moment.kind != Moment::kEnd) {
    return absl::InvalidArgumentError(
        "--leak-kind classifies the blocks live at the end or at a snapshot "
        "taken with --leaks: use it with the end or such a snapshot");
  }
  return absl::FailedPreconditionError(absl::StrCat(
      analysis.path,
      ": the trace has no leak kinds (record it with `heaptrail run "
      "--leak-kinds`; they are written when the program exits normally)"));
}

std::vector<Site> LeakSites(const TraceAnalysis& analysis,
                            const Moment& moment, uint8_t kinds,
                            const SiteOptions& options,
                            StackSymbolizer& symbolizer) {
  const uint32_t id = LeakMoment(moment).value_or(0);
  SiteOptions all = options;
  all.top = 0;
  std::vector<Site> sites;
  for (uint8_t kind = 0; kind < 4; ++kind) {
    if ((kinds & (1u << kind)) == 0) continue;
    const std::vector<StackValue> values =
        analysis.heap.LiveOfKind(format::LeakKind(kind), id);
    for (Site& site : BuildSites(values, all, symbolizer)) {
      site.leak_kind = format::LeakKind(kind);
      sites.push_back(std::move(site));
    }
  }
  if (kinds == kAllLeakKinds) {
    const std::vector<StackValue> values =
        analysis.heap.LiveOfKind(std::nullopt, id);
    for (Site& site : BuildSites(values, all, symbolizer)) {
      sites.push_back(std::move(site));
    }
  }
  const bool by_count = options.sort == SortBy::kCount;
  std::stable_sort(sites.begin(), sites.end(),
                   [by_count](const Site& a, const Site& b) {
                     return by_count ? a.count > b.count : a.size > b.size;
                   });
  if (options.top != 0 && sites.size() > options.top) {
    sites.resize(options.top);
  }
  return sites;
}

std::string Moment::Name() const {
  switch (kind) {
    case kStart:
      return "start";
    case kPeak:
      return "peak";
    case kEnd:
      return "end";
    case kSnapshot:
      return absl::StrCat(snapshot_id);
  }
  return "";
}

absl::StatusOr<Moment> ParseMoment(std::string_view text) {
  if (text == "start") return Moment{Moment::kStart};
  if (text == "peak") return Moment{Moment::kPeak};
  if (text == "end") return Moment{Moment::kEnd};
  uint32_t id = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid moment '%s' (expected start, peak, end or a snapshot id 1..N)",
        text));
  }
  return Moment{Moment::kSnapshot, id};
}

absl::StatusOr<std::vector<StackValue>> ValuesAt(const TraceAnalysis& analysis,
                                                 const Moment& moment,
                                                 uint8_t leak_kinds) {
  if (leak_kinds != 0) {
    HEAPTRAIL_RETURN_IF_ERROR(
        CheckLeakKindsKnown(analysis, leak_kinds, moment));
    const uint32_t id = LeakMoment(moment).value_or(0);
    std::vector<StackValue> values;
    for (uint8_t kind = 0; kind < 4; ++kind) {
      if ((leak_kinds & (1u << kind)) == 0) continue;
      for (const StackValue& value :
           analysis.heap.LiveOfKind(format::LeakKind(kind), id)) {
        values.push_back(value);
      }
    }
    // One value per stack, as the callers expect.
    std::sort(values.begin(), values.end(),
              [](const StackValue& a, const StackValue& b) {
                return a.stack_id < b.stack_id;
              });
    std::vector<StackValue> merged;
    for (const StackValue& value : values) {
      if (!merged.empty() && merged.back().stack_id == value.stack_id) {
        merged.back().bytes += value.bytes;
        merged.back().blocks += value.blocks;
      } else {
        merged.push_back(value);
      }
    }
    return merged;
  }
  switch (moment.kind) {
    case Moment::kStart:
      return std::vector<StackValue>();
    case Moment::kPeak:
      return analysis.heap.LiveAtPeak();
    case Moment::kEnd:
      return analysis.heap.LiveNow();
    case Moment::kSnapshot:
      break;
  }
  const std::vector<SnapshotState>& snapshots = analysis.heap.snapshots();
  if (moment.snapshot_id == 0 || moment.snapshot_id > snapshots.size()) {
    if (snapshots.empty()) {
      return absl::NotFoundError(absl::StrFormat(
          "no snapshot %d: the trace has no snapshots", moment.snapshot_id));
    }
    return absl::NotFoundError(
        absl::StrFormat("no snapshot %d: the trace has snapshots 1..%d",
                        moment.snapshot_id, snapshots.size()));
  }
  return snapshots[moment.snapshot_id - 1].stacks;
}

double MomentSeconds(const TraceAnalysis& analysis, const Moment& moment) {
  switch (moment.kind) {
    case Moment::kStart:
      return 0;
    case Moment::kPeak:
      return analysis.Seconds(analysis.heap.totals().peak_tick);
    case Moment::kEnd:
      return analysis.DurationSeconds();
    case Moment::kSnapshot: {
      const std::vector<SnapshotState>& snapshots = analysis.heap.snapshots();
      if (moment.snapshot_id == 0 || moment.snapshot_id > snapshots.size())
        return 0;
      return analysis.Seconds(snapshots[moment.snapshot_id - 1].tick);
    }
  }
  return 0;
}

std::string_view AllocKindName(format::AllocKind kind) {
  using format::AllocKind;
  switch (kind) {
    case AllocKind::kMalloc:
      return "malloc";
    case AllocKind::kCalloc:
      return "calloc";
    case AllocKind::kRealloc:
      return "realloc";
    case AllocKind::kReallocArray:
      return "reallocarray";
    case AllocKind::kPosixMemalign:
      return "posix_memalign";
    case AllocKind::kAlignedAlloc:
      return "aligned_alloc";
    case AllocKind::kMemalign:
      return "memalign";
    case AllocKind::kValloc:
      return "valloc";
    case AllocKind::kPvalloc:
      return "pvalloc";
    case AllocKind::kNew:
      return "new";
    case AllocKind::kNewArray:
      return "new[]";
    case AllocKind::kNewAligned:
      return "new(align_val_t)";
    case AllocKind::kNewArrayAligned:
      return "new[](align_val_t)";
  }
  return "?";
}

std::string_view FreeKindName(format::FreeKind kind) {
  using format::FreeKind;
  switch (kind) {
    case FreeKind::kFree:
      return "free";
    case FreeKind::kFreeSized:
      return "free_sized";
    case FreeKind::kFreeAlignedSized:
      return "free_aligned_sized";
    case FreeKind::kRealloc:
      return "realloc";
    case FreeKind::kDelete:
      return "delete";
    case FreeKind::kDeleteArray:
      return "delete[]";
    case FreeKind::kDeleteAligned:
      return "delete(align_val_t)";
    case FreeKind::kDeleteArrayAligned:
      return "delete[](align_val_t)";
  }
  return "?";
}

std::string_view GroupByName(GroupBy by) {
  switch (by) {
    case GroupBy::kLine:
      return "line";
    case GroupBy::kFunction:
      return "function";
    case GroupBy::kFile:
      return "file";
    case GroupBy::kStack:
      return "stack";
  }
  return "?";
}

absl::StatusOr<Report> BuildReport(const TraceAnalysis& analysis,
                                   const ReportOptions& options,
                                   StackSymbolizer& symbolizer) {
  Report report;
  report.trace_path = analysis.path;
  report.executable = analysis.process.executable;
  report.pid = analysis.header.pid;
  report.summary = BuildSummary(analysis);
  report.by = options.by;
  report.cumulative = options.cumulative;
  report.sort = options.sort;
  report.default_report = !options.at.has_value();
  report.at = options.at.value_or(Moment{Moment::kPeak});
  report.at_time_s = MomentSeconds(analysis, report.at);
  report.size_histogram = analysis.heap.sizes().Buckets();

  HEAPTRAIL_RETURN_IF_ERROR(
      CheckLeakKindsKnown(analysis, options.leak_kinds, report.at));
  const bool classified = analysis.heap.leak_totals().classified;
  if (const LeakTotals* at_leaks = LeakTotalsAt(analysis, report.at);
      at_leaks != nullptr && !report.default_report) {
    report.at_leaks = *at_leaks;
  }
  HEAPTRAIL_ASSIGN_OR_RETURN(const std::vector<StackValue> values,
                             ValuesAt(analysis, report.at));
  const std::vector<StackValue> leaks =
      report.default_report || classified ? analysis.heap.LiveNow()
                                          : std::vector<StackValue>();
  const std::vector<MismatchedFree> mismatches =
      analysis.heap.mismatched_frees();

  // Every stack the tables below will symbolize, symbolized ahead on all
  // cores.
  std::vector<uint32_t> stack_ids;
  for (const StackValue& value : values) stack_ids.push_back(value.stack_id);
  for (const StackValue& value : leaks) stack_ids.push_back(value.stack_id);
  if (report.default_report) {
    for (const StackStats& stats : analysis.heap.stacks()) {
      if (stats.temporary_count != 0) stack_ids.push_back(stats.stack_id);
    }
  }
  for (const MismatchedFree& mismatch : mismatches) {
    stack_ids.push_back(mismatch.alloc_stack);
    if (mismatch.free_stack != 0) stack_ids.push_back(mismatch.free_stack);
  }
  // A site by line, function or file needs a stack's innermost frames only
  // (sites.h): its location is past the allocator's few.
  constexpr size_t kLocationDepth = 8;
  const bool whole_stacks = options.by == GroupBy::kStack || options.cumulative;
  symbolizer.Prefetch(stack_ids, std::thread::hardware_concurrency(),
                      whole_stacks ? SIZE_MAX : kLocationDepth);
  SiteOptions site_options{.by = options.by,
                           .cumulative = options.cumulative,
                           .sort = options.sort,
                           .top = options.top};
  if (report.at_leaks) {
    const uint8_t kinds =
        options.leak_kinds == 0 ? kAllLeakKinds : options.leak_kinds;
    report.sites =
        LeakSites(analysis, report.at, kinds, site_options, symbolizer);
  } else {
    report.sites = BuildSites(values, site_options, symbolizer);
  }

  if (report.default_report) {
    if (classified) {
      const Moment end{Moment::kEnd};
      report.leaks = LeakSites(analysis, end,
                               LeakKindBit(format::LeakKind::kDefinite) |
                                   LeakKindBit(format::LeakKind::kIndirect),
                               site_options, symbolizer);
      report.possibly_lost =
          LeakSites(analysis, end, LeakKindBit(format::LeakKind::kPossible),
                    site_options, symbolizer);
      report.still_reachable =
          LeakSites(analysis, end, LeakKindBit(format::LeakKind::kReachable),
                    site_options, symbolizer);
    } else {
      report.leaks = BuildSites(leaks, site_options, symbolizer);
    }
    std::vector<StackValue> temporary;
    for (const StackStats& stats : analysis.heap.stacks()) {
      if (stats.temporary_count == 0) continue;
      temporary.push_back({stats.stack_id, 0, stats.temporary_count});
    }
    site_options.sort = SortBy::kCount;
    report.temporary = BuildSites(temporary, site_options, symbolizer);
  }

  for (const MismatchedFree& mismatch : mismatches) {
    const StackValue value{mismatch.alloc_stack, mismatch.bytes,
                           mismatch.count};
    std::vector<Site> site = BuildSites({&value, 1}, SiteOptions{}, symbolizer);
    MismatchSite out;
    if (!site.empty()) {
      out.location = site.front().location;
      out.stack = std::move(site.front().stack);
    }
    if (mismatch.free_stack != 0) {
      const StackValue release{mismatch.free_stack, mismatch.bytes,
                               mismatch.count};
      site = BuildSites({&release, 1}, SiteOptions{}, symbolizer);
      if (!site.empty()) {
        out.release = site.front().location;
        out.release_stack = std::move(site.front().stack);
      }
    }
    out.alloc_kind = mismatch.alloc_kind;
    out.free_kind = mismatch.free_kind;
    out.count = mismatch.count;
    out.bytes = mismatch.bytes;
    report.mismatches.push_back(std::move(out));
  }
  return report;
}

}  // namespace heaptrail::analyzer
