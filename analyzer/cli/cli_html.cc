// The html subcommand: analysis, report data, page, file.

#include "cli/cli_html.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "html/html_page.h"
#include "html/report_data.h"
#include "report/report.h"
#include "symbolize/stack_symbolizer.h"
#include "symbolize/symbol_source.h"

namespace heaptrail::analyzer {
namespace {

struct HtmlArgs {
  std::string trace;
  std::string output;
  std::string leak_kind;
};

int RunHtml(const HtmlArgs& args, CliIo& io) {
  absl::StatusOr<uint8_t> kinds = ParseLeakKinds(args.leak_kind);
  if (!kinds.ok()) return ReportError(io, kinds.status());
  const uint8_t leak_kinds = *kinds;
  absl::StatusOr<SymbolizedTrace> trace = LoadSymbolizedTrace(args.trace, io);
  if (!trace.ok()) return ReportError(io, trace.status());
  absl::StatusOr<nlohmann::json> data =
      BuildReportData(*trace->analysis, *trace->symbolizer, leak_kinds);
  if (!data.ok()) return ReportError(io, data.status());
  const std::string& executable = trace->analysis->process.executable;
  const std::string page = RenderHtmlPage(
      *data, absl::StrCat("heaptrail: ",
                          executable.substr(executable.rfind('/') + 1)));
  absl::Status written = WriteOutputFile(args.output, page);
  return written.ok() ? 0 : ReportError(io, written);
}

}  // namespace

void AddHtmlCommand(CLI::App& app, CliIo& io, int* exit_code) {
  auto args = std::make_shared<HtmlArgs>();
  CLI::App* command = app.add_subcommand(
      "html",
      "Write a self-contained HTML report: summary, heap and RSS over time, "
      "snapshot diffs, flame graphs and site tables");
  command->add_option("trace", args->trace, "The trace file")->required();
  command->add_option("-o,--output", args->output, "The HTML file to write")
      ->required();
  AddAllocFnOption(*command);
  AddLeakKindOption(*command, &args->leak_kind);
  command->callback(
      [args, &io, exit_code] { *exit_code = RunHtml(*args, io); });
}

}  // namespace heaptrail::analyzer
