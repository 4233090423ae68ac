// The frames every export shows for a stack: from its site's location
// outwards (see SiteLocationIndex in sites.h: outside the allocator, the
// preload and the wrappers; in a stack with Python frames, outside the
// interpreter's native frames too), innermost first, each with the
// stack-tree node (the recorded address) it came from, so that exports that
// need addresses (pprof locations, massif nodes) can group inlined frames.
//
// Thread-safety: not thread-safe (the symbolizer caches).

#ifndef HEAPTRAIL_ANALYZER_EXPORT_USER_FRAMES_H_
#define HEAPTRAIL_ANALYZER_EXPORT_USER_FRAMES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "symbolize/stack_symbolizer.h"
#include "trace/stack_tree.h"

namespace heaptrail::analyzer {

struct UserFrame {
  uint32_t node = 0;  // stack-tree node; 0 for a stack the tree lacks
  const SourceFrame* frame = nullptr;
};

// Frames of `stack_id` from its site's location outwards (every frame when
// all are inside the allocator). Never empty: a stack without frames gives
// one "[unknown]" frame.
std::vector<UserFrame> UserFrames(uint32_t stack_id, const StackTree& tree,
                                  StackSymbolizer& symbolizer);

// "function" when known, else the symbolizer's "module+0xoffset"; a Python
// frame is "qualified_name (file)". Separators of the folded format (';'
// and line breaks) become ':' and ' '.
std::string FoldedName(const SourceFrame& frame);

// "leaks.c:20", "leaks.c", or "" when the file is unknown; the file's path
// is kept as recorded.
std::string FileLine(const SourceFrame& frame);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EXPORT_USER_FRAMES_H_
