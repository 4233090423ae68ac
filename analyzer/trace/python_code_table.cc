// PythonCodeTable: the interpreter and a hash map of code objects.

#include "trace/python_code_table.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace heaptrail::analyzer {

absl::Status PythonCodeTable::SetInterpreter(
    const PythonInterpreterRecord& record) {
  if (interpreter_.has_value() && !(*interpreter_ == record)) {
    return absl::DataLossError(absl::StrFormat(
        "a second Python interpreter (version 0x%x, runtime at 0x%x; the "
        "first: 0x%x at 0x%x)",
        record.version, record.runtime_address, interpreter_->version,
        interpreter_->runtime_address));
  }
  interpreter_ = record;
  return absl::OkStatus();
}

absl::Status PythonCodeTable::Add(PythonCodeRecord& record) {
  const auto it = codes_.find(record.code_id);
  if (it == codes_.end()) {
    codes_.emplace(record.code_id, std::move(record.code));
    return absl::OkStatus();
  }
  if (it->second == record.code) return absl::OkStatus();
  return absl::DataLossError(absl::StrFormat(
      "Python code %d defined twice, as %s (%s) and as %s (%s)", record.code_id,
      it->second.qualified_name, it->second.file, record.code.qualified_name,
      record.code.file));
}

const PythonCode* PythonCodeTable::Find(uint32_t code_id) const {
  const auto it = codes_.find(code_id);
  return it == codes_.end() ? nullptr : &it->second;
}

}  // namespace heaptrail::analyzer
