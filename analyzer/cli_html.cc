// The html subcommand: analysis, report data, page, file.

#include "cli_html.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "html/html_page.h"
#include "html/report_data.h"
#include "stack_symbolizer.h"
#include "symbol_source.h"

namespace heaptrail::analyzer {
namespace {

struct HtmlArgs {
  std::string trace;
  std::string output;
};

int RunHtml(const HtmlArgs& args, CliIo& io) {
  absl::StatusOr<std::unique_ptr<TraceAnalysis>> analysis =
      LoadTrace(args.trace, io);
  if (!analysis.ok()) return ReportError(io, analysis.status());
  std::unique_ptr<SymbolSource> symbols = MakeDwarfSymbolSource();
  StackSymbolizer symbolizer((*analysis)->stacks, (*analysis)->modules,
                             *symbols);
  const std::string& executable = (*analysis)->process.executable;
  const std::string page = RenderHtmlPage(
      BuildReportData(**analysis, symbolizer),
      absl::StrCat("heaptrail: ",
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
  command->callback(
      [args, &io, exit_code] { *exit_code = RunHtml(*args, io); });
}

}  // namespace heaptrail::analyzer
