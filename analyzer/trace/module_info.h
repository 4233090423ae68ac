// A module of the traced process as the trace records it: path, load bias,
// build-id and PT_LOAD segments. The record decoder produces it (records.h)
// and the symbolizer consumes it (symbolize/symbolizer.h); it lives here, in
// the lowest stage, so that neither has to include the other's folder.
//
// Thread-safety: plain values.

#ifndef HEAPTRAIL_ANALYZER_TRACE_MODULE_INFO_H_
#define HEAPTRAIL_ANALYZER_TRACE_MODULE_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

namespace heaptrail::analyzer {

// A PT_LOAD segment as recorded: it is mapped at load_bias + vaddr.
struct Segment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t file_offset = 0;
  uint32_t flags = 0;  // PF_X | PF_W | PF_R
};

// A module of the traced process, as the trace recorded it.
struct ModuleInfo {
  std::string path;      // absolute path of the file (the executable too)
  uint64_t load_bias = 0;
  std::string build_id;  // raw bytes of the GNU build-id note; may be empty
  std::vector<Segment> segments;
};

}  // namespace heaptrail::analyzer

#endif  // HEAPTRAIL_ANALYZER_TRACE_MODULE_INFO_H_
