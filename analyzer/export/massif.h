// valgrind massif's output format (massif.out.PID), read by ms_print and
// massif-visualizer: the heap over time as "empty" snapshots (from the
// downsampled timeline), plus detailed snapshots with the allocation tree
// at every heaptrail snapshot, at the end (the leaks), and the "peak" one.
// Trees are massif's: the root is the allocation functions, its children
// the innermost frames outside the allocator, then their callers; every
// frame, inlined ones included, is a node "0xADDR: function (file:line)".
//
// Thread-safety: not thread-safe (the symbolizer caches).

#ifndef HEAPTRAIL_ANALYZER_EXPORT_MASSIF_H_
#define HEAPTRAIL_ANALYZER_EXPORT_MASSIF_H_

#include <ostream>

#include "replay/trace_analysis.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

void WriteMassif(const TraceAnalysis& analysis, StackSymbolizer& symbolizer,
                 std::ostream& out);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EXPORT_MASSIF_H_
