// UserFrames: the stack tree walked node by node, the frames inside the
// site's location (allocator, wrappers, a Python stack's interpreter frames)
// dropped from the innermost end.

#include "export/user_frames.h"

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
  // From the site's location outwards, as in a report: a Python stack
  // then starts at its Python line, not in the interpreter's internals.
  std::vector<const SourceFrame*> source(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) source[i] = frames[i].frame;
  const size_t location = SiteLocationIndex(source, symbolizer);
  frames.erase(frames.begin(), frames.begin() + location);
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
  // A qualified name alone is ambiguous: every module's top level is
  // "<module>". Native names stay bare, as perf and heaptrack fold them.
  if (frame.python && !frame.file.empty()) {
    absl::StrAppend(&name, " (", frame.file, ")");
  }
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
