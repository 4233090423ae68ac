// Groups per-stack values into report "sites": by source line (the default),
// function, file, or whole stack. A site is located at the innermost frame
// outside the allocator and the preload: frames of libheaptrail.so and the
// allocation entry points themselves (malloc, operator new, ...) are
// skipped, inlined frames counting as frames of their own. In a stack with
// Python frames the interpreter's own native frames are skipped too, as
// allocation wrappers: a block that bytearray() allocates is credited to
// the Python line that called it, while a C extension's frame is a site of
// its own (see SiteLocationIndex).
//
// Cumulative grouping credits every frame of a stack from that location
// outwards (tracemalloc's cumulative=True): a line shows what was allocated
// under it. A location that recursion repeats within one stack is credited
// once, so no site ever counts more than the stacks under it.
//
// Thread-safety: functions; the StackSymbolizer passed in is not shared.

#ifndef HEAPTRAIL_ANALYZER_REPORT_SITES_H_
#define HEAPTRAIL_ANALYZER_REPORT_SITES_H_

#include <compare>
#include <optional>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "heaptrail/trace_format.h"
#include "replay/heap_model.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

enum class GroupBy { kLine, kFunction, kFile, kStack };
enum class SortBy { kSize, kCount };

absl::StatusOr<GroupBy> ParseGroupBy(std::string_view text);
absl::StatusOr<SortBy> ParseSortBy(std::string_view text);

struct FrameInfo {
  std::string function;
  std::string file;
  uint32_t line = 0;
  std::string module;
  bool python = false;  // a Python frame (SourceFrame::python)
  // By function, file, line, module: the tie-break of every site ordering.
  auto operator<=>(const FrameInfo&) const = default;
  bool operator==(const FrameInfo&) const = default;
};

struct Site {
  FrameInfo location;        // per GroupBy: line, function or file
  uint64_t size = 0;         // summed StackValue::bytes
  uint64_t count = 0;        // summed StackValue::blocks
  uint32_t stack_count = 0;  // distinct stacks merged into this site
  std::vector<FrameInfo>
      stack;  // the largest contributing stack, from location outwards
  // The blocks' reachability, for sites of the blocks live at the end of a
  // trace that has it.
  std::optional<format::LeakKind> leak_kind;
};

// The caller shown beside a site at `location` with `stack` (from the
// location outwards), for context: the next frame, or for a Python site the
// next Python frame, past the interpreter's own native frames between them
// (the C of a call from Python to Python); null when there is none.
const FrameInfo* CallerOf(const FrameInfo& location,
                          std::span<const FrameInfo> stack);

// True for a frame inside the allocator or the preload, or inside an
// allocation wrapper: a site is the innermost frame outside all of them, so
// a block allocated through g_malloc or os::malloc is credited to their
// caller. The wrappers are kBuiltinAllocationWrappers and those of
// SetAllocationWrappers(), globs matched against the function's name
// without its parameters. A Python frame is only ever a wrapper (its
// qualified name matched by a pattern), never the allocator itself.
bool IsAllocatorFrame(const SourceFrame& frame);

// Where a site is located in `frames`, a whole stack, innermost first: the
// index of the innermost frame outside the allocator and the wrappers
// (IsAllocatorFrame) and, when the stack holds a Python frame, outside the
// interpreter's own native frames (StackSymbolizer::IsInterpreterFrame).
// Without a Python frame (the interpreter starting up), or when every frame
// is skipped, the innermost frame outside the allocator; 0 when there is
// none.
size_t SiteLocationIndex(std::span<const SourceFrame* const> frames,
                         StackSymbolizer& symbolizer);

// Well-known allocation wrappers: CPython's PyMem_* and PyObject_*
// allocators, the JVM's os::malloc and AllocateHeap, glib's g_malloc
// family, gnulib's xmalloc family.
extern const std::vector<std::string_view> kBuiltinAllocationWrappers;

// Adds the user's wrappers (`--alloc-fn`), for the rest of the process. Call
// before any analysis; not thread-safe.
void SetAllocationWrappers(std::vector<std::string> patterns);

struct SiteOptions {
  GroupBy by = GroupBy::kLine;
  bool cumulative = false;  // credit every frame; no effect with kStack
  SortBy sort = SortBy::kSize;
  size_t top = 0;  // > 0: keep only the first `top` sites
};

// Groups `values` into sites and sorts them (descending by size or count;
// ties by location for a stable output). A site's `stack` is its largest
// contributing stack from the site's own frame outwards.
std::vector<Site> BuildSites(std::span<const StackValue> values,
                             const SiteOptions& options,
                             StackSymbolizer& symbolizer);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_REPORT_SITES_H_
