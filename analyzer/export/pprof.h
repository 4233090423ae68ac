// pprof's profile.proto (github.com/google/pprof/proto/profile.proto), the
// format of `go tool pprof`, Pyroscope and Parca. Four sample types, as Go's
// heap profiles have them: alloc_objects and alloc_space (every allocation
// of the whole trace), inuse_objects and inuse_space (live at the chosen
// moment; the default). One mapping per module with its build-id, one
// location per recorded address, its inlined frames as several lines
// (innermost first, as profile.proto orders them), allocator frames left out.
//
// Thread-safety: not thread-safe (the symbolizer and module map cache).

#ifndef HEAPTRAIL_ANALYZER_EXPORT_PPROF_H_
#define HEAPTRAIL_ANALYZER_EXPORT_PPROF_H_

#include <span>
#include <string>

#include "replay/heap_model.h"
#include "replay/trace_analysis.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

// The serialized, uncompressed Profile message; `live` are the per-stack
// values at the chosen moment, `moment_name` goes into its comment and
// `moment_seconds` (from the start) makes its time_nanos, so that exports
// of successive snapshots land at their own times in a profiling backend.
std::string BuildPprofProfile(TraceAnalysis& analysis,
                              std::span<const StackValue> live,
                              const std::string& moment_name,
                              double moment_seconds,
                              StackSymbolizer& symbolizer);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EXPORT_PPROF_H_
