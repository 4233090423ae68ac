// Site grouping: a key string per GroupBy, one hash map of sites, then a
// sort. The representative stack is symbolized once per site, at the end.

#include "report/sites.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "report/glob.h"

namespace heaptrail::analyzer {
namespace {

constexpr std::string_view kPreloadName = "libheaptrail.so";

// Entry points of the allocation surface, as a symbolizer names them. The
// __libc_ aliases appear when glibc's own symbols win the lookup.
constexpr std::string_view kAllocationFunctions[] = {
    "malloc",
    "calloc",
    "realloc",
    "reallocarray",
    "free",
    "free_sized",
    "free_aligned_sized",
    "aligned_alloc",
    "posix_memalign",
    "memalign",
    "valloc",
    "pvalloc",
    "__libc_malloc",
    "__libc_calloc",
    "__libc_realloc",
    "__libc_memalign",
    "__libc_valloc",
    "__libc_pvalloc",
    "__posix_memalign",
    "__libc_free",
};

// --alloc-fn patterns (SetAllocationWrappers()).
std::vector<std::string>& UserAllocationWrappers() {
  static std::vector<std::string> patterns;
  return patterns;
}

// "ns::f<T>(int) const" -> "ns::f<T>": the name wrappers are matched on.
std::string_view WithoutParameters(std::string_view name) {
  size_t end = name.size();
  while (end > 0 && name[end - 1] != ')') --end;  // " const", " &&"...
  if (end == 0) return name;
  int depth = 0;
  for (size_t i = end; i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) return name.substr(0, i);
  }
  return name;
}

bool IsAllocationWrapper(std::string_view function) {
  const std::string_view name = WithoutParameters(function);
  for (std::string_view pattern : kBuiltinAllocationWrappers) {
    if (GlobMatches(pattern, name)) return true;
  }
  for (const std::string& pattern : UserAllocationWrappers()) {
    if (GlobMatches(pattern, name)) return true;
  }
  return false;
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

FrameInfo InfoOf(const SourceFrame& frame) {
  return FrameInfo{frame.function, frame.file, frame.line, frame.module,
                   frame.python};
}

// How a frame counts for a site's location.
enum class FrameRole : uint8_t {
  kUser,
  kAllocator,    // IsAllocatorFrame
  kInterpreter,  // the interpreter's native code, skipped under Python
};

FrameRole RoleOf(const SourceFrame& frame, StackSymbolizer& symbolizer) {
  if (IsAllocatorFrame(frame)) return FrameRole::kAllocator;
  if (symbolizer.IsInterpreterFrame(frame)) return FrameRole::kInterpreter;
  return FrameRole::kUser;
}

// SiteLocationIndex() with the roles from `role`, which may memoize.
template <typename Role>
size_t LocationIndex(std::span<const SourceFrame* const> frames, Role&& role) {
  const bool python =
      std::any_of(frames.begin(), frames.end(),
                  [](const SourceFrame* f) { return f->python; });
  std::optional<size_t> outside_allocator;
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameRole r = role(*frames[i]);
    if (r == FrameRole::kAllocator) continue;
    if (!outside_allocator.has_value()) outside_allocator = i;
    if (!python || r == FrameRole::kUser) return i;
  }
  return outside_allocator.value_or(0);
}

FrameInfo LocationKey(const SourceFrame* frame, GroupBy by) {
  if (frame == nullptr) return FrameInfo{"<unknown>", "", 0, ""};
  switch (by) {
    case GroupBy::kFunction:
      return FrameInfo{frame->function, frame->file, 0, frame->module,
                       frame->python};
    case GroupBy::kFile:
      // Without debug info the module is the finest "file" there is.
      if (frame->file.empty()) return FrameInfo{"", "", 0, frame->module};
      return FrameInfo{"", frame->file, 0, frame->module, frame->python};
    case GroupBy::kLine:
    case GroupBy::kStack:
      return InfoOf(*frame);
  }
  return InfoOf(*frame);
}

std::string KeyString(const FrameInfo& info) {
  return absl::StrCat(info.function, "\n", info.file, "\n", info.line, "\n",
                      info.module);
}

struct Accumulator {
  Site site;
  uint32_t top_stack = 0;
  uint64_t top_bytes = 0;
  uint64_t top_blocks = 0;
};

}  // namespace

absl::StatusOr<GroupBy> ParseGroupBy(std::string_view text) {
  if (text == "line") return GroupBy::kLine;
  if (text == "function") return GroupBy::kFunction;
  if (text == "file") return GroupBy::kFile;
  if (text == "stack") return GroupBy::kStack;
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown grouping '%s' (expected line, function, file or stack)", text));
}

absl::StatusOr<SortBy> ParseSortBy(std::string_view text) {
  if (text == "size") return SortBy::kSize;
  if (text == "count") return SortBy::kCount;
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown sort key '%s' (expected size or count)", text));
}

const FrameInfo* CallerOf(const FrameInfo& location,
                          std::span<const FrameInfo> stack) {
  if (stack.size() < 2) return nullptr;
  if (!location.python) return &stack[1];
  for (size_t i = 1; i < stack.size(); ++i) {
    if (stack[i].python || stack[i].module != location.module) {
      return &stack[i];
    }
  }
  return &stack[1];
}

bool IsAllocatorFrame(const SourceFrame& frame) {
  if (frame.python) return IsAllocationWrapper(frame.function);
  if (BaseName(frame.module) == kPreloadName) return true;
  std::string_view name = frame.function;
  // "operator new(unsigned long)", "operator new[](...)", and the mangled
  // forms (_Znwm, _Znam, ...) when no demangled name is known.
  if (name.starts_with("operator new") || name.starts_with("operator delete") ||
      name.starts_with("_Znw") || name.starts_with("_Zna") ||
      name.starts_with("_Zdl") || name.starts_with("_Zda")) {
    return true;
  }
  const size_t paren = name.find('(');
  if (paren != std::string_view::npos) name = name.substr(0, paren);
  for (std::string_view entry : kAllocationFunctions) {
    if (name == entry) return true;
  }
  return IsAllocationWrapper(frame.function);
}

const std::vector<std::string_view> kBuiltinAllocationWrappers = {
    // CPython (Include/cpython/pymem.h, Objects/obmalloc.c).
    "PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc", "PyMem_RawMalloc",
    "PyMem_RawCalloc", "PyMem_RawRealloc", "PyObject_Malloc",
    "PyObject_Calloc", "PyObject_Realloc", "_PyMem_RawMalloc",
    "_PyMem_RawCalloc", "_PyMem_RawRealloc", "_PyObject_Malloc",
    "_PyObject_Calloc", "_PyObject_Realloc", "_PyMem_Debug*",
    "pymalloc_alloc", "pymalloc_realloc",
    // The JVM (HotSpot's memory/allocation.hpp, runtime/os.hpp).
    "os::malloc", "os::realloc", "os::strdup", "os::strdup_check_oom",
    "AllocateHeap", "ReallocateHeap", "CHeapObj<*>::operator new",
    "CHeapObj<*>::operator new[]",
    // glib.
    "g_malloc", "g_malloc0", "g_realloc", "g_try_malloc", "g_try_malloc0",
    "g_try_realloc", "g_malloc_n", "g_malloc0_n", "g_realloc_n",
    "g_try_malloc_n", "g_try_malloc0_n", "g_try_realloc_n", "g_strdup",
    "g_strndup", "g_memdup", "g_memdup2", "g_slice_alloc", "g_slice_alloc0",
    // gnulib and GNU programs.
    "xmalloc", "xzalloc", "xcalloc", "xrealloc", "xnmalloc", "xnrealloc",
    "x2realloc", "x2nrealloc", "xcharalloc", "xmemdup", "xstrdup",
    "ximalloc", "xizalloc", "xicalloc", "xirealloc",
};

void SetAllocationWrappers(std::vector<std::string> patterns) {
  UserAllocationWrappers() = std::move(patterns);
}

size_t SiteLocationIndex(std::span<const SourceFrame* const> frames,
                         StackSymbolizer& symbolizer) {
  return LocationIndex(frames, [&symbolizer](const SourceFrame& frame) {
    return RoleOf(frame, symbolizer);
  });
}

std::vector<Site> BuildSites(std::span<const StackValue> values,
                             const SiteOptions& options,
                             StackSymbolizer& symbolizer) {
  // Sites by key (sites.h), and each site's accumulator by index.
  absl::flat_hash_map<std::string, size_t> site_of_key;
  std::vector<Accumulator> sites_found;
  const auto site_of = [&](std::string key, FrameInfo info) {
    auto [it, inserted] = site_of_key.try_emplace(std::move(key), 0);
    if (inserted) {
      it->second = sites_found.size();
      sites_found.emplace_back().site.location = std::move(info);
    }
    return it->second;
  };
  const auto credit = [&sites_found](size_t site, const StackValue& value) {
    Accumulator& acc = sites_found[site];
    const bool first = acc.site.stack_count == 0;
    acc.site.size += value.bytes;
    acc.site.count += value.blocks;
    acc.site.stack_count += 1;
    if (first || value.bytes > acc.top_bytes ||
        (value.bytes == acc.top_bytes && value.blocks > acc.top_blocks)) {
      acc.top_stack = value.stack_id;
      acc.top_bytes = value.bytes;
      acc.top_blocks = value.blocks;
    }
  };
  // The symbolizer gives every (module, address) one SourceFrame: a
  // location's key is built once, not once per stack (a cc1plus trace has
  // ~100k stacks over a few thousand locations).
  absl::flat_hash_map<const SourceFrame*, size_t> site_of_location;
  const GroupBy by = options.by;
  absl::flat_hash_set<std::string> credited;  // keys of the current stack
  // Most stacks end up in the per-line table by one frame near the
  // innermost: deep stacks (a compiler's) are walked only that far.
  absl::flat_hash_map<const SourceFrame*, FrameRole> roles;
  const auto role = [&roles, &symbolizer](const SourceFrame& frame) {
    auto [it, inserted] = roles.try_emplace(&frame, FrameRole::kUser);
    if (inserted) it->second = RoleOf(frame, symbolizer);
    return it->second;
  };
  const auto is_allocator = [&role](const SourceFrame& frame) {
    return role(frame) == FrameRole::kAllocator;
  };
  const auto is_not_user = [&role](const SourceFrame& frame) {
    return role(frame) != FrameRole::kUser;
  };
  const auto location_index =
      [&role](const std::vector<const SourceFrame*>& frames) {
        return LocationIndex(frames, role);
      };
  for (const StackValue& value : values) {
    if (by != GroupBy::kStack && !options.cumulative) {
      // SiteLocationIndex()'s rule, walking only as far as it needs.
      const SourceFrame* location = nullptr;
      if (symbolizer.HasPythonFrames(value.stack_id)) {
        location = symbolizer.FirstFrameNot(value.stack_id, is_not_user);
      }
      if (location == nullptr || is_not_user(*location)) {
        location = symbolizer.FirstFrameNot(value.stack_id, is_allocator);
      }
      auto [it, inserted] = site_of_location.try_emplace(location, 0);
      if (inserted) {
        FrameInfo info = LocationKey(location, by);
        std::string key = KeyString(info);
        it->second = site_of(std::move(key), std::move(info));
      }
      credit(it->second, value);
      continue;
    }
    const std::vector<const SourceFrame*> frames =
        symbolizer.Frames(value.stack_id);
    if (frames.empty()) {
      FrameInfo info = LocationKey(nullptr, by);
      std::string key = KeyString(info);
      credit(site_of(std::move(key), std::move(info)), value);
      continue;
    }
    const size_t location = location_index(frames);
    if (by == GroupBy::kStack) {
      std::string key;
      for (size_t i = location; i < frames.size(); ++i) {
        absl::StrAppend(&key, KeyString(InfoOf(*frames[i])), "\n");
      }
      credit(site_of(std::move(key), InfoOf(*frames[location])), value);
    } else if (!options.cumulative) {
      FrameInfo info = LocationKey(frames[location], by);
      std::string key = KeyString(info);
      credit(site_of(std::move(key), std::move(info)), value);
    } else {
      credited.clear();
      for (size_t i = location; i < frames.size(); ++i) {
        FrameInfo info = LocationKey(frames[i], by);
        std::string key = KeyString(info);
        if (!credited.insert(key).second) continue;  // recursion
        credit(site_of(std::move(key), std::move(info)), value);
      }
    }
  }

  std::vector<Accumulator*> accumulators;
  accumulators.reserve(sites_found.size());
  for (Accumulator& acc : sites_found) accumulators.push_back(&acc);
  const SortBy sort = options.sort;
  const auto primary = [sort](const Site& s) {
    return sort == SortBy::kSize ? std::pair(s.size, s.count)
                                 : std::pair(s.count, s.size);
  };
  std::sort(accumulators.begin(), accumulators.end(),
            [&](const Accumulator* a, const Accumulator* b) {
              const auto pa = primary(a->site);
              const auto pb = primary(b->site);
              if (pa != pb) return pa > pb;
              return std::tie(a->site.location, a->top_stack) <
                     std::tie(b->site.location, b->top_stack);
            });
  if (options.top > 0 && accumulators.size() > options.top) {
    accumulators.resize(options.top);
  }

  std::vector<Site> sites;
  sites.reserve(accumulators.size());
  for (Accumulator* acc : accumulators) {
    const std::vector<const SourceFrame*> frames =
        symbolizer.Frames(acc->top_stack);
    // The site's own frame: the location, or for a cumulative site the
    // first frame outwards that has the site's key.
    size_t first = frames.empty() ? 0 : location_index(frames);
    while (first < frames.size() &&
           !(LocationKey(frames[first], by) == acc->site.location)) {
      ++first;
    }
    for (size_t i = first; i < frames.size(); ++i) {
      acc->site.stack.push_back(InfoOf(*frames[i]));
    }
    sites.push_back(std::move(acc->site));
  }
  return sites;
}

}  // namespace heaptrail::analyzer
