// Text rendering of a report.

#include "report/report_text.h"

#include <algorithm>
#include <bit>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "report/size_format.h"

namespace heaptrail::analyzer {
namespace {

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  return absl::StrFormat(
      "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

void RenderSummary(const Report& report, std::ostream& out) {
  const Summary& s = report.summary;
  out << "Summary\n";
  out << absl::StrFormat("  %-24s%s\n",
                         "duration:", FormatSeconds(s.duration_s));
  out << absl::StrFormat("  %-24s%d (%s in total)\n",
                         "allocations:", s.allocations,
                         FormatBytesExact(s.allocated_bytes));
  out << absl::StrFormat("  %-24s%d\n", "frees:", s.frees);
  out << absl::StrFormat("  %-24s%d (%s of allocations)\n",
                         "temporary allocations:", s.temporary_allocations,
                         Percent(s.temporary_allocations, s.allocations));
  out << absl::StrFormat("  %-24s%s in %d blocks, at %s\n",
                         "peak heap:", FormatBytesExact(s.peak_bytes),
                         s.peak_blocks, FormatSeconds(s.peak_time_s));
  out << absl::StrFormat("  %-24s%s in %d blocks\n", "leaked (live at end):",
                         FormatBytesExact(s.leaked_bytes), s.leaked_blocks);
  if (s.leak_kinds_known) {
    for (const auto& [kind, key] : kLeakKindsInMemcheckOrder) {
      std::string name = std::string(key) + ":";
      std::replace(name.begin(), name.end(), '_', ' ');
      const StackUsage& usage = s.by_leak_kind[static_cast<size_t>(kind)];
      out << absl::StrFormat("    %-22s%s in %d blocks\n", name,
                             FormatBytesExact(usage.bytes), usage.blocks);
    }
  }
  out << absl::StrFormat("  %-24s%d\n",
                         "mismatched frees:", s.mismatched_frees);
  if (s.unknown_frees != 0) {
    out << absl::StrFormat(
        "  %-24s%d (blocks allocated before tracking began)\n",
        "unknown frees:", s.unknown_frees);
  }
  if (s.failed_reallocs != 0) {
    out << absl::StrFormat("  %-24s%d\n",
                           "failed reallocs:", s.failed_reallocs);
  }
  if (s.snapshots != 0) {
    out << absl::StrFormat("  %-24s%d\n", "snapshots:", s.snapshots);
  }
  if (s.truncated) {
    out << "  (the trace was cut short: numbers cover what was recorded)\n";
  }
}

void RenderCounts(const std::vector<Site>& sites, std::ostream& out) {
  if (sites.empty()) {
    out << "  (none)\n";
    return;
  }
  out << absl::StrFormat("  %10s  %s\n", "COUNT", "LOCATION");
  for (const Site& site : sites) {
    out << absl::StrFormat("  %10d  %s\n", site.count,
                           FormatLocation(site.location));
  }
}

// A power of two 2^exponent in the largest unit that keeps it whole:
// "512 B", "1 KiB", "16 EiB".
std::string PowerOfTwo(int exponent) {
  static constexpr const char* kUnits[] = {"B",   "KiB", "MiB", "GiB",
                                           "TiB", "PiB", "EiB"};
  const int unit = std::min(exponent / 10, 6);
  return absl::StrCat(uint64_t{1} << (exponent - 10 * unit), " ",
                      kUnits[unit]);
}

void RenderHistogram(const std::vector<SizeBucket>& buckets,
                     std::ostream& out) {
  if (buckets.empty()) {
    out << "  (none)\n";
    return;
  }
  uint64_t most = 0;
  for (const SizeBucket& bucket : buckets) most = std::max(most, bucket.count);
  constexpr uint64_t kBarWidth = 40;
  out << absl::StrFormat("  %8s %8s %12s %16s\n", "FROM", "BELOW", "COUNT",
                         "BYTES");
  for (const SizeBucket& bucket : buckets) {
    // Bucket [2^(k-1), 2^k - 1] has bit width k; [0, 0] has width 0.
    const int width = std::bit_width(bucket.max);
    const std::string from = bucket.min == 0 ? "0 B" : PowerOfTwo(width - 1);
    const uint64_t bar =
        bucket.count == 0
            ? 0
            : std::max<uint64_t>(
                  1, static_cast<uint64_t>(static_cast<double>(bucket.count) /
                                           static_cast<double>(most) *
                                           kBarWidth));
    out << absl::StrFormat("  %8s %8s %12d %16d", from, PowerOfTwo(width),
                           bucket.count, bucket.bytes)
        << (bar == 0 ? "" : "  ") << std::string(bar, '#') << "\n";
  }
}

// A stack under a table row: its first frames, innermost first.
void RenderStack(std::string_view title, const std::vector<FrameInfo>& stack,
                 std::ostream& out) {
  constexpr size_t kMaxFrames = 6;
  if (stack.empty()) {
    out << absl::StrFormat("  %10s    %-14s%s\n", "", title, "<unknown>");
    return;
  }
  for (size_t i = 0; i < stack.size() && i < kMaxFrames; ++i) {
    out << absl::StrFormat("  %10s    %-14s%s\n", "", i == 0 ? title : "",
                           FormatLocation(stack[i]));
  }
  if (stack.size() > kMaxFrames) {
    out << absl::StrFormat("  %10s    %-14s... %d more frames\n", "", "",
                           stack.size() - kMaxFrames);
  }
}

std::string MomentTitle(const Report& report) {
  switch (report.at.kind) {
    case Moment::kStart:
      return "at the start";
    case Moment::kPeak:
      return absl::StrCat("at the peak (", FormatSeconds(report.at_time_s),
                          ")");
    case Moment::kEnd:
      return "live at the end (leaks)";
    case Moment::kSnapshot:
      return absl::StrCat("at snapshot ", report.at.snapshot_id, " (",
                          FormatSeconds(report.at_time_s), ")");
  }
  return "";
}

}  // namespace

std::string Printable(std::string text) {
  for (char& c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return text;
}

std::string FormatLocation(const FrameInfo& frame) {
  std::string text = frame.function;
  if (!frame.file.empty()) {
    absl::StrAppend(&text, text.empty() ? "" : "  ", frame.file);
    if (frame.line != 0) absl::StrAppend(&text, ":", frame.line);
  } else if (!frame.module.empty()) {
    absl::StrAppend(&text, text.empty() ? "" : " ", "(",
                    std::string(BaseName(frame.module)), ")");
  }
  return text.empty() ? "<unknown>" : Printable(std::move(text));
}

void RenderTextReport(const Report& report, std::ostream& out) {
  out << "heaptrail report: " << report.trace_path;
  if (!report.executable.empty())
    out << " (" << Printable(report.executable);
  else
    out << " (pid";
  out << (report.executable.empty() ? " " : ", pid ") << report.pid << ")\n\n";
  RenderSummary(report, out);

  std::string by(GroupByName(report.by));
  if (report.cumulative) by += " (cumulative)";
  out << "\nTop sites " << MomentTitle(report) << ", by " << by << "\n";
  if (report.at_leaks && report.at.kind == Moment::kSnapshot) {
    const LeakTotals& leaks = *report.at_leaks;
    auto kind = [&](format::LeakKind k) {
      const StackUsage& usage = leaks.by_kind[static_cast<size_t>(k)];
      return absl::StrFormat("%s in %d blocks", FormatBytesExact(usage.bytes),
                             usage.blocks);
    };
    out << "  definitely lost " << kind(format::LeakKind::kDefinite)
        << ", indirectly lost " << kind(format::LeakKind::kIndirect)
        << ",\n  possibly lost " << kind(format::LeakKind::kPossible)
        << ", still reachable " << kind(format::LeakKind::kReachable)
        << absl::StrFormat(
               "\n  (classified in a copy of the process: it paused %.1f ms)\n",
               static_cast<double>(leaks.pause_ns) / 1e6);
  }
  RenderSites(report.sites, out);
  if (report.default_report && report.summary.leak_kinds_known) {
    out << "\nTop leaks (definitely and indirectly lost), by " << by << "\n";
    RenderSites(report.leaks, out);
    out << "\nPossibly lost (found only through interior pointers), by " << by
        << "\n";
    RenderSites(report.possibly_lost, out);
    out << "\nStill reachable at the end, by " << by << "\n";
    RenderSites(report.still_reachable, out);
  } else if (report.default_report) {
    out << "\nTop leaks (live at the end; `heaptrail run --leak-kinds` tells "
           "lost from reachable), by "
        << by << "\n";
    RenderSites(report.leaks, out);
  }
  if (report.default_report) {
    out << "\nMost temporary allocations, by " << by << "\n";
    RenderCounts(report.temporary, out);
    out << "\nAllocation sizes (every allocation of the run)\n";
    RenderHistogram(report.size_histogram, out);
  }
  if (!report.mismatches.empty()) {
    out << "\nMismatched frees\n";
    out << absl::StrFormat("  %10s  %s\n", "COUNT", "ALLOCATED / RELEASED");
    size_t shown = 0;
    for (const MismatchSite& m : report.mismatches) {
      if (++shown > 10) break;
      out << absl::StrFormat("  %10d  %s / %s\n", m.count,
                             AllocKindName(m.alloc_kind),
                             FreeKindName(m.free_kind));
      RenderStack("allocated at", m.stack, out);
      if (m.release.has_value()) {
        RenderStack("released at", m.release_stack, out);
      } else {
        out << absl::StrFormat(
            "  %10s    %-14s%s\n", "", "released at",
            "(not recorded: rerun with `heaptrail run --free-stacks`)");
      }
    }
  }
}

void RenderSites(const std::vector<Site>& sites, std::ostream& out) {
  if (sites.empty()) {
    out << "  (none)\n";
    return;
  }
  out << absl::StrFormat("  %10s %14s %9s  %s\n", "SIZE", "BYTES", "BLOCKS",
                         "LOCATION");
  for (const Site& site : sites) {
    const std::string kind =
        site.leak_kind ? absl::StrCat("[", std::string(LeakKindName(*site.leak_kind)), "] ")
                       : "";
    out << absl::StrFormat("  %10s %14d %9d  %s%s\n", FormatBytes(site.size),
                           site.size, site.count, kind,
                           FormatLocation(site.location));
    // The caller of the location, for context: the most useful next frame.
    if (const FrameInfo* caller = CallerOf(site.location, site.stack)) {
      out << absl::StrFormat("  %10s %14s %9s    called from %s\n", "", "", "",
                             FormatLocation(*caller));
    }
  }
}

void RenderCheckText(const CheckResult& result, const std::string& trace,
                     std::ostream& out) {
  out << "heaptrail check: " << Printable(trace) << "\n";
  for (const BudgetResult& budget : result.budgets) {
    out << absl::StrFormat("\n%s: %s, budget %s: %s\n", budget.name,
                           FormatBytesExact(budget.value),
                           FormatBytesExact(budget.limit),
                           budget.over ? "OVER BUDGET" : "within budget");
    if (budget.over) RenderSites(budget.sites, out);
  }
  if (result.suppressed_blocks != 0) {
    out << absl::StrFormat(
        "\nsuppressed (live at the end, not counted): %s in %d blocks\n",
        FormatBytesExact(result.suppressed_bytes), result.suppressed_blocks);
    RenderSites(result.suppressed_sites, out);
  }
  out << (result.within_budget() ? "\nwithin budget\n" : "\nover budget\n");
}

}  // namespace heaptrail::analyzer
