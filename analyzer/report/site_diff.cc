// DiffSites: one map from match key to the pair of sides, then a sort.

#include "report/site_diff.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace heaptrail::analyzer {
namespace {

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string FrameKey(const FrameInfo& frame) {
  if (!frame.file.empty()) {
    return absl::StrCat(frame.function, "\n", frame.file, "\n", frame.line);
  }
  return absl::StrCat(frame.function, "\n\n", frame.line, "\n",
                      std::string(BaseName(frame.module)));
}

}  // namespace

std::string MatchKey(const Site& site, GroupBy by) {
  if (by != GroupBy::kStack || site.stack.empty()) {
    return FrameKey(site.location);
  }
  std::string key;
  for (const FrameInfo& frame : site.stack) {
    absl::StrAppend(&key, FrameKey(frame), "\n\n");
  }
  return key;
}

SiteDiff DiffSites(std::span<const Site> older, std::span<const Site> newer,
                   GroupBy by, size_t top) {
  SiteDiff diff;
  absl::flat_hash_map<std::string, DiffSite> by_key;
  for (const Site& site : newer) {
    auto [it, inserted] = by_key.try_emplace(MatchKey(site, by));
    DiffSite& entry = it->second;
    if (inserted) {
      entry.location = site.location;
      entry.stack = site.stack;
    }
    entry.size += site.size;
    entry.count += site.count;
    entry.size_diff += static_cast<int64_t>(site.size);
    entry.count_diff += static_cast<int64_t>(site.count);
    diff.newer_size += site.size;
    diff.newer_count += site.count;
  }
  for (const Site& site : older) {
    auto [it, inserted] = by_key.try_emplace(MatchKey(site, by));
    if (inserted) {
      it->second.location = site.location;
      it->second.stack = site.stack;
    }
    it->second.size_diff -= static_cast<int64_t>(site.size);
    it->second.count_diff -= static_cast<int64_t>(site.count);
    diff.older_size += site.size;
    diff.older_count += site.count;
  }
  diff.sites.reserve(by_key.size());
  for (auto& [key, site] : by_key) diff.sites.push_back(std::move(site));
  std::sort(diff.sites.begin(), diff.sites.end(),
            [](const DiffSite& a, const DiffSite& b) {
              const auto magnitude = [](const DiffSite& s) {
                return std::pair(std::llabs(s.size_diff), s.size);
              };
              if (magnitude(a) != magnitude(b))
                return magnitude(a) > magnitude(b);
              if (std::llabs(a.count_diff) != std::llabs(b.count_diff)) {
                return std::llabs(a.count_diff) > std::llabs(b.count_diff);
              }
              return a.location < b.location;
            });
  if (top > 0 && diff.sites.size() > top) diff.sites.resize(top);
  return diff;
}

}  // namespace heaptrail::analyzer
