// Times the symbolization of every stack of a trace, on one thread and with
// StackSymbolizer::Prefetch on N threads, and checks that both give the same
// frames (function, file, line, column, module, inlined), field by field.
//
// Usage: symbolize_benchmark TRACE [THREADS]   (THREADS: default all cores)
// Prints the number of stacks and distinct nodes, both times and the
// speedup; exits 1 on any difference, 2 on a bad trace.

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "replay/trace_analysis.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {
namespace {

double CpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
}

struct Run {
  double seconds = 0;
  double prefetch_seconds = 0;  // of `seconds`: Prefetch() alone
  double cpu_seconds = 0;       // of all threads
  std::vector<std::vector<const SourceFrame*>> frames;  // per stack
};

Run Symbolize(const TraceAnalysis& analysis, ModuleMap& modules,
              const std::vector<uint32_t>& ids, unsigned threads,
              std::unique_ptr<SymbolSource>& main_source,
              std::unique_ptr<StackSymbolizer>& symbolizer) {
  const auto started = std::chrono::steady_clock::now();
  const double cpu_started = CpuSeconds();
  main_source = MakeDwarfSymbolSource();
  symbolizer = std::make_unique<StackSymbolizer>(
      analysis.stacks, modules, analysis.python, *main_source,
      [] { return MakeDwarfSymbolSource(); });
  symbolizer->Prefetch(ids, threads);
  const auto prefetched = std::chrono::steady_clock::now();
  Run run;
  for (uint32_t id : ids) run.frames.push_back(symbolizer->Frames(id));
  const auto done = std::chrono::steady_clock::now();
  run.seconds = std::chrono::duration<double>(done - started).count();
  run.cpu_seconds = CpuSeconds() - cpu_started;
  run.prefetch_seconds =
      std::chrono::duration<double>(prefetched - started).count();
  return run;
}

bool Same(const SourceFrame& a, const SourceFrame& b) {
  return a.function == b.function && a.file == b.file && a.line == b.line &&
         a.column == b.column && a.module == b.module && a.inlined == b.inlined;
}

int Main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: symbolize_benchmark TRACE [THREADS]\n");
    return 2;
  }
  const unsigned threads =
      argc == 3 ? static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10))
                : std::thread::hardware_concurrency();
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis =
      AnalyzeTrace(argv[1]);
  if (!analysis.ok()) {
    std::fprintf(stderr, "symbolize_benchmark: %s\n",
                 std::string(analysis.status().message()).c_str());
    return 2;
  }
  std::vector<uint32_t> ids;
  for (const StackStats& stats : (*analysis)->heap.stacks()) {
    ids.push_back(stats.stack_id);
  }
  std::unique_ptr<SymbolSource> serial_source, parallel_source;
  std::unique_ptr<StackSymbolizer> serial_symbolizer, parallel_symbolizer;
  const Run serial = Symbolize(**analysis, (*analysis)->modules, ids, 1,
                               serial_source, serial_symbolizer);
  const Run parallel = Symbolize(**analysis, (*analysis)->modules, ids, threads,
                                 parallel_source, parallel_symbolizer);
  size_t frames = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& a = serial.frames[i];
    const auto& b = parallel.frames[i];
    frames += a.size();
    bool same = a.size() == b.size();
    for (size_t k = 0; same && k < a.size(); ++k) same = Same(*a[k], *b[k]);
    if (!same) {
      std::fprintf(stderr, "stack %u: frames differ\n", ids[i]);
      return 1;
    }
  }
  std::printf(
      "%zu stacks, %zu frames: serial %.3f s (CPU %.3f s), %u threads %.3f s "
      "(CPU %.3f s; %.3f s of it ahead on the threads), %.2fx, identical\n",
      ids.size(), frames, serial.seconds, serial.cpu_seconds, threads,
      parallel.seconds, parallel.cpu_seconds, parallel.prefetch_seconds,
      serial.seconds / parallel.seconds);
  return 0;
}

}  // namespace
}  // namespace heaptrail::analyzer

int main(int argc, char** argv) {
  return heaptrail::analyzer::Main(argc, argv);
}
