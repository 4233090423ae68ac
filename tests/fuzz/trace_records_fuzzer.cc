// Fuzzes the chunk's records past the checksums a random file never gets
// through: the input, split into chunks at each "HTCK", becomes the records
// of a well-formed trace (valid header, zstd frames with checksums), which
// the whole analysis then reads: record decoder, event merger, heap model,
// stack tree, module map, clock.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_file.h"
#include "replay/trace_analysis.h"
#include "trace/trace_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  heaptrail::analyzer::testing::TraceBuilder builder(heaptrail::format::ClockKind::kTsc);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSeparator = "HTCK";
  while (true) {
    size_t end = input.find(kSeparator);
    builder.Raw(input.substr(0, end)).EndChunk();
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + kSeparator.size());
  }
  const std::string file = builder.Build();
  const std::string path = heaptrail::fuzzing::WriteFuzzFile(file.data(), file.size());
  (void)heaptrail::analyzer::AnalyzeTrace(path);
  return 0;
}
