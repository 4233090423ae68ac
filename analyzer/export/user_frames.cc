// UserFrames: the stack tree walked node by node, allocator frames dropped
// from the innermost end.

#include "export/user_frames.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "report/sites.h"

namespace heaptrail::analyzer {

std::vector<UserFrame> UserFrames(uint32_t stack_id, const StackTree& tree,
                                  StackSymbolizer& symbolizer) {
  std::vector<UserFrame> frames;
  if (stack_id != 0 && !tree.Contains(stack_id)) {
    for (const SourceFrame* frame : symbolizer.Frames(stack_id)) {
      frames.push_back({0, frame});
    }
  }
  for (uint32_t node : tree.Path(stack_id)) {
    for (const SourceFrame& frame : symbolizer.NodeFrames(node)) {
      frames.push_back({node, &frame});
    }
  }
  const auto user = std::find_if(
      frames.begin(), frames.end(),
      [](const UserFrame& f) { return !IsAllocatorFrame(*f.frame); });
  if (user != frames.end()) frames.erase(frames.begin(), user);
  if (frames.empty()) {
    static const SourceFrame kUnknown = [] {
      SourceFrame frame;
      frame.function = "[unknown]";
      return frame;
    }();
    frames.push_back({0, &kUnknown});
  }
  return frames;
}

std::string FoldedName(const SourceFrame& frame) {
  std::string name = frame.function.empty() ? "[unknown]" : frame.function;
  for (char& c : name) {
    if (c == ';') c = ':';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return name;
}

std::string FileLine(const SourceFrame& frame) {
  if (frame.file.empty()) return "";
  if (frame.line == 0) return frame.file;
  return absl::StrCat(frame.file, ":", frame.line);
}

}  // namespace heaptrail::analyzer
