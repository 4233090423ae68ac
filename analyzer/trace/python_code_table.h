// The Python side of a trace: the interpreter (kPythonInterpreter) and the
// code objects (kPythonCode) that Python frames in stack nodes refer to by
// id (format::PythonCodeIdOf). The record decoder fills it while the trace
// is read; the symbolizer turns a frame into file, function and line with
// it once the whole trace is read, since a code object's record may follow
// the first stack node that uses it.
//
// A record that repeats one already read is accepted (it changes nothing);
// one that contradicts it is an error: two code objects under one id would
// make every frame of that id ambiguous.
//
// Thread-safety: not thread-safe to modify; const methods may be shared.

#ifndef HEAPTRAIL_ANALYZER_TRACE_PYTHON_CODE_TABLE_H_
#define HEAPTRAIL_ANALYZER_TRACE_PYTHON_CODE_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "trace/records.h"

namespace heaptrail::analyzer {

class PythonCodeTable {
 public:
  absl::Status SetInterpreter(const PythonInterpreterRecord& record);
  // Takes the record's code (moved from).
  absl::Status Add(PythonCodeRecord& record);

  // The interpreter; nullptr when the trace has none (no Python frames).
  const PythonInterpreterRecord* interpreter() const {
    return interpreter_ ? &*interpreter_ : nullptr;
  }
  // The code object of `code_id`; nullptr when no record gave it.
  const PythonCode* Find(uint32_t code_id) const;
  size_t size() const { return codes_.size(); }

 private:
  std::optional<PythonInterpreterRecord> interpreter_;
  // Ids are dense in practice, but a hostile file could give any id up to
  // kMaxPythonCodeId: a hash map costs what the records hold, no more.
  absl::flat_hash_map<uint32_t, PythonCode> codes_;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_PYTHON_CODE_TABLE_H_
