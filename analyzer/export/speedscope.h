// speedscope's JSON file format
// (https://www.speedscope.app/file-format-schema.json): shared frames with
// name, file and line, and two "sampled" profiles of the live heap at the
// chosen moment, one weighted by bytes and one by blocks. Each sample is a
// stack, outermost frame first; the weights sum to the live bytes (blocks).
//
// Thread-safety: not thread-safe (the symbolizer caches).

#ifndef HEAPTRAIL_ANALYZER_EXPORT_SPEEDSCOPE_H_
#define HEAPTRAIL_ANALYZER_EXPORT_SPEEDSCOPE_H_

#include <span>
#include <string>

#include "nlohmann/json.hpp"
#include "replay/heap_model.h"
#include "symbolize/stack_symbolizer.h"
#include "trace/stack_tree.h"

namespace heaptrail::analyzer {

// `name` names the file's profile group (e.g. "leaks at peak").
nlohmann::json SpeedscopeProfile(std::span<const StackValue> values,
                                 const StackTree& tree,
                                 StackSymbolizer& symbolizer,
                                 const std::string& name);

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_EXPORT_SPEEDSCOPE_H_
