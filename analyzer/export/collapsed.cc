// Folded stacks: symbolized, joined, merged (two stacks can differ only in
// addresses that symbolize alike), sorted.

#include "export/collapsed.h"

#include <map>
#include <string>

#include "export/user_frames.h"

namespace heaptrail::analyzer {

void WriteCollapsed(std::span<const StackValue> values, const StackTree& tree,
                    StackSymbolizer& symbolizer, std::ostream& out) {
  std::map<std::string, uint64_t> lines;
  for (const StackValue& value : values) {
    if (value.bytes == 0) continue;
    const std::vector<UserFrame> frames =
        UserFrames(value.stack_id, tree, symbolizer);
    std::string line;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
      if (!line.empty()) line += ';';
      line += FoldedName(*it->frame);
    }
    lines[line] += value.bytes;
  }
  for (const auto& [stack, bytes] : lines) out << stack << ' ' << bytes << '\n';
}

}  // namespace heaptrail::analyzer
