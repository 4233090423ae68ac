// Fuzzes the trace reader and everything behind it: the input is the whole
// trace file (header, chunk headers, zstd frames).

#include <cstddef>
#include <cstdint>

#include "fuzz_file.h"
#include "replay/trace_analysis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = heaptrail::fuzzing::WriteFuzzFile(data, size);
  (void)heaptrail::analyzer::AnalyzeTrace(path);
  return 0;
}
