// Everything the HTML report shows, as one JSON document embedded in the
// page: summary and command line; the heap and RSS over time with the
// peak, every snapshot and the end as selectable moments; per moment the
// live bytes of every source line (the browser diffs any two moments);
// flame trees of the peak, the leaks, all allocations and the temporary
// allocations; and the site tables by line and by function.
//
// Thread-safety: not thread-safe (the symbolizer caches).

#ifndef HEAPTRAIL_ANALYZER_HTML_REPORT_DATA_H_
#define HEAPTRAIL_ANALYZER_HTML_REPORT_DATA_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "replay/trace_analysis.h"
#include "symbolize/stack_symbolizer.h"

namespace heaptrail::analyzer {

// At most this many points per series in the timeline.
inline constexpr size_t kMaxTimelinePoints = 2048;
// Flame graph nodes below this fraction of the whole are merged.
inline constexpr double kFlameMinFraction = 0.0005;

// `leak_kinds` (a mask of LeakKindBit; 0: every block) restricts the blocks
// live at the end, as `report --leak-kind`; an error when the trace has no
// kinds.
absl::StatusOr<nlohmann::json> BuildReportData(const TraceAnalysis& analysis,
                                               StackSymbolizer& symbolizer,
                                               uint8_t leak_kinds = 0);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_HTML_REPORT_DATA_H_
