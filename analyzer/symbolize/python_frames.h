// Python frames as source frames. A stack node whose ip has
// format::kPythonFrameBit set is a frame of Python code, not an address: it
// becomes one SourceFrame (python = true) named from the trace's code
// table: function = the code object's qualified name, file = its file name,
// line = the line of the recorded instruction (python_line_table.h; 0 when
// CPython has none for it), module = the path of the interpreter's module,
// the one that maps _PyRuntime in the node's epoch. An id the table lacks
// gives "<python code N>".
//
// Also tells the interpreter's own native frames apart (IsInterpreterFrame),
// for the site rule of report/sites.h.
//
// Use once the whole trace is read: a code object's record may follow the
// stack nodes that use it, and the interpreter's module is looked up once.
//
// Thread-safety: not thread-safe.

#ifndef HEAPTRAIL_ANALYZER_SYMBOLIZE_PYTHON_FRAMES_H_
#define HEAPTRAIL_ANALYZER_SYMBOLIZE_PYTHON_FRAMES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "symbolize/symbolizer.h"
#include "trace/module_map.h"
#include "trace/python_code_table.h"

namespace heaptrail::analyzer {

class PythonFrames {
 public:
  PythonFrames(const PythonCodeTable& codes, ModuleMap& modules)
      : codes_(codes), modules_(modules) {}

  // The source frame of Python-frame ip `ip`, recorded in `epoch`.
  SourceFrame Frame(uint64_t ip, uint32_t epoch);

  // True for a native frame (not a Python one) of the interpreter's module;
  // always false in a trace without an interpreter.
  bool IsInterpreterFrame(const SourceFrame& frame);

 private:
  // The paths of the modules that held _PyRuntime in any epoch.
  const std::vector<std::string>& InterpreterPaths();

  const PythonCodeTable& codes_;
  ModuleMap& modules_;
  bool paths_known_ = false;
  std::vector<std::string> interpreter_paths_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_SYMBOLIZE_PYTHON_FRAMES_H_
