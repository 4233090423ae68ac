// PythonFrames: code table + line table -> SourceFrame.

#include "symbolize/python_frames.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "heaptrail/trace_format.h"
#include "symbolize/python_line_table.h"

namespace heaptrail::analyzer {

SourceFrame PythonFrames::Frame(uint64_t ip, uint32_t epoch) {
  SourceFrame frame;
  frame.python = true;
  if (const PythonInterpreterRecord* interpreter = codes_.interpreter()) {
    const std::optional<size_t> module =
        modules_.Find(interpreter->runtime_address, epoch);
    if (module.has_value()) {
      frame.module = modules_.modules()[*module].info.path;
    } else if (!InterpreterPaths().empty()) {
      frame.module = InterpreterPaths().front();
    }
  }
  const uint32_t code_id = format::PythonCodeIdOf(ip);
  const PythonCode* code = codes_.Find(code_id);
  if (code == nullptr) {
    frame.function = absl::StrCat("<python code ", code_id, ">");
    return frame;
  }
  frame.function = code->qualified_name;
  frame.file = code->file;
  const int64_t line = PythonLineAt(code->line_table, code->first_line,
                                    format::PythonOffsetOf(ip));
  // No line (kNoPythonLine), or one a hostile table made up: unknown.
  if (line > 0 && line <= std::numeric_limits<uint32_t>::max()) {
    frame.line = static_cast<uint32_t>(line);
  }
  return frame;
}

bool PythonFrames::IsInterpreterFrame(const SourceFrame& frame) {
  if (frame.python) return false;
  const std::vector<std::string>& paths = InterpreterPaths();
  return std::find(paths.begin(), paths.end(), frame.module) != paths.end();
}

const std::vector<std::string>& PythonFrames::InterpreterPaths() {
  if (paths_known_) return interpreter_paths_;
  paths_known_ = true;
  const PythonInterpreterRecord* interpreter = codes_.interpreter();
  if (interpreter == nullptr) return interpreter_paths_;
  for (size_t module : modules_.FindInAnyEpoch(interpreter->runtime_address)) {
    const std::string& path = modules_.modules()[module].info.path;
    // An empty path would match every frame the symbolizer could not place.
    if (path.empty()) continue;
    if (std::find(interpreter_paths_.begin(), interpreter_paths_.end(), path) ==
        interpreter_paths_.end()) {
      interpreter_paths_.push_back(path);
    }
  }
  return interpreter_paths_;
}

}  // namespace heaptrail::analyzer
