// The export subcommand: options, analysis, then one exporter writing FILE.

#include "cli/cli_export.h"

#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "export/collapsed.h"
#include "export/gzip.h"
#include "export/massif.h"
#include "export/pprof.h"
#include "export/speedscope.h"
#include "report/report.h"
#include "report/report_json.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {
namespace {

struct ExportArgs {
  std::string trace;
  std::string format;
  std::string at;  // default: peak, or the end with --leak-kind
  std::string output;
  std::string leak_kind;
};

absl::StatusOr<std::string> Render(const ExportArgs& args, const Moment& at,
                                   uint8_t leak_kinds, TraceAnalysis& analysis,
                                   StackSymbolizer& symbolizer) {
  std::ostringstream out;
  if (args.format == "massif") {
    if (leak_kinds != 0) {
      return absl::InvalidArgumentError(
          "massif exports the heap over time: --leak-kind does not apply");
    }
    WriteMassif(analysis, symbolizer, out);
    return out.str();
  }
  absl::StatusOr<std::vector<StackValue>> values =
      ValuesAt(analysis, at, leak_kinds);
  if (!values.ok()) return values.status();
  if (args.format == "pprof") {
    return Gzip(BuildPprofProfile(analysis, *values, at.Name(),
                                  MomentSeconds(analysis, at), symbolizer));
  }
  if (args.format == "collapsed") {
    WriteCollapsed(*values, analysis.stacks, symbolizer, out);
  } else {
    WriteJson(SpeedscopeProfile(
                  *values, analysis.stacks, symbolizer,
                  absl::StrCat(analysis.process.executable, " at ", at.Name())),
              out);
  }
  return out.str();
}

int RunExport(const ExportArgs& args, CliIo& io) {
  absl::StatusOr<uint8_t> kinds = ParseLeakKinds(args.leak_kind);
  if (!kinds.ok()) return ReportError(io, kinds.status());
  const uint8_t leak_kinds = *kinds;
  absl::StatusOr<Moment> at = ParseMoment(
      !args.at.empty() ? args.at : leak_kinds != 0 ? "end" : "peak");
  if (!at.ok()) return ReportError(io, at.status());
  absl::StatusOr<SymbolizedTrace> trace = LoadSymbolizedTrace(args.trace, io);
  if (!trace.ok()) return ReportError(io, trace.status());
  absl::StatusOr<std::string> data =
      Render(args, *at, leak_kinds, *trace->analysis, *trace->symbolizer);
  if (!data.ok()) return ReportError(io, data.status());
  absl::Status written = WriteOutputFile(args.output, *data);
  return written.ok() ? 0 : ReportError(io, written);
}

}  // namespace

void AddExportCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* command = app.add_subcommand(
      "export",
      "Write the heap of a trace for other tools: pprof (go tool pprof, "
      "Pyroscope, Parca), collapsed stacks (flamegraph.pl, inferno), "
      "speedscope JSON, or massif (ms_print, massif-visualizer)");
  command->add_option("trace", args->trace, "The trace file")->required();
  command
      ->add_option("--format", args->format,
                   "pprof, collapsed, speedscope or massif")
      ->required()
      ->check(CLI::IsMember({"pprof", "collapsed", "speedscope", "massif"}));
  command->add_option(
      "--at", args->at,
      "The moment whose live heap is exported: peak (default; the end with "
      "--leak-kind), end (the "
      "leaks), start, or a snapshot id 1..N. massif always holds the whole "
      "timeline, the snapshots, the peak and the end");
  command->add_option("-o,--output", args->output, "The file to write")
      ->required();
  AddAllocFnOption(*command);
  AddLeakKindOption(*command, &args->leak_kind);
  command->callback(
      [args, &io, exit_code] { *exit_code = RunExport(*args, io); });
}

}  // namespace heaptrail::analyzer
