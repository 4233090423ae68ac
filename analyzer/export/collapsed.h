// The "folded" stack format of flamegraph.pl, inferno and speedscope: one
// line per distinct stack, "outer;...;inner VALUE", frames outermost first.
// The values are the live bytes of each stack at the chosen moment, so they
// sum exactly to the live heap then (the peak, the leaks, a snapshot).
//
// Thread-safety: not thread-safe (the symbolizer caches).

#ifndef HEAPTRAIL_ANALYZER_EXPORT_COLLAPSED_H_
#define HEAPTRAIL_ANALYZER_EXPORT_COLLAPSED_H_

#include <ostream>
#include <span>

#include "replay/heap_model.h"
#include "symbolize/stack_symbolizer.h"
#include "trace/stack_tree.h"

namespace heaptrail::analyzer {

// Lines sorted by stack; stacks without live bytes are left out.
void WriteCollapsed(std::span<const StackValue> values, const StackTree& tree,
                    StackSymbolizer& symbolizer, std::ostream& out);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EXPORT_COLLAPSED_H_
